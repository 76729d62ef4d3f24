package dev.quiver.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quiver.online.FeatureStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One clock: the {@link FeatureStore}'s clock is the "now" of the materializer (flush age), of
 * lookups over the HTTP server (ttl), and a consistency check over HTTP judges the ttl at the
 * check's own time, not at the server's.
 */
class OneClockTest {
  private static final String VIEW = ConsistencyCheckTest.VIEW;
  private static final List<String> REFS = List.of(VIEW + ":conv_rate", VIEW + ":trips");

  @TempDir
  Path repo;

  /** A clock the test moves. */
  static final class MovableClock extends Clock {
    private volatile Instant now;

    MovableClock(Instant start) {
      this.now = start;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  @Test
  void shouldJudgeTtlAndFlushAgeByTheStoresClockAndAConsistencyCheckAtItsOwnTime() throws Exception {
    Files.writeString(repo.resolve("defs.yaml"), ConsistencyCheckTest.DEFINITIONS);
    // an offline flush only by age (1 h), never by size
    Files.writeString(repo.resolve("quiver.yaml"), "server: {port: 0}\nmaterializer: {flush_age: 1h, flush_rows: 1000000}\n");
    Instant start = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    MovableClock clock = new MovableClock(start);
    QuiverConfig config = QuiverConfig.load(repo);
    try (FeatureStore store = FeatureStore.open(config, clock)) {
      store.apply(false);
      FeatureServer server = store.serve();
      Instant t = start.minus(Duration.ofMinutes(30));
      store.push(VIEW, List.of(Map.of("driver_id", 1L, "event_timestamp", t, "conv_rate", 0.5f, "trips", 3L)));
      Map<String, List<Object>> driver = Map.of("driver_id", List.of(1L));
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
          assertThat(store.getOnlineFeatures(REFS, driver).value(0, 0).status()).isEqualTo(FeatureStatus.PRESENT));
      RemoteFeatureStore remote = RemoteFeatureStore.connect(server.url());
      assertThat(remote.getOnlineFeatures(REFS, driver).value(0, 0).status()).isEqualTo(FeatureStatus.PRESENT);
      assertThat(store.offlineStore().committedFiles(VIEW)).isEmpty();

      // 2 h later by the store's clock: the event (now 2.5 h old) is outside the 2 h ttl in process and
      // over HTTP alike, and the materializer's buffer is past its flush age
      clock.advance(Duration.ofHours(2));
      assertThat(store.getOnlineFeatures(REFS, driver).value(0, 0).status()).isEqualTo(FeatureStatus.OUTSIDE_MAX_AGE);
      assertThat(remote.getOnlineFeatures(REFS, driver).value(0, 0).status()).isEqualTo(FeatureStatus.OUTSIDE_MAX_AGE);
      await().atMost(Duration.ofSeconds(60)).until(() -> !store.offlineStore().committedFiles(VIEW).isEmpty());

      // a check whose clock reads the start: 30 min after the event, inside the ttl on both sides,
      // while the server's clock would call it outside
      try (FeatureStore checker = FeatureStore.open(config, Clock.fixed(start, ZoneOffset.UTC))) {
        ConsistencyReport r = checker.checkConsistency(List.of(VIEW), 10, remote);
        assertThat(r.at()).isEqualTo(start);
        assertThat(r.consistent()).as(r.toString()).isTrue();
        assertThat(r.valuesCompared()).isEqualTo(2);
      }
      // and the lookup over HTTP at a given time
      assertThat(remote.getOnlineFeatures(REFS, driver, start, false).value(0, 0).status())
          .isEqualTo(FeatureStatus.PRESENT);
      assertThat(remote.getOnlineFeatures(REFS, driver, start.plus(Duration.ofHours(2)), true).value(0, 0).status())
          .isEqualTo(FeatureStatus.OUTSIDE_MAX_AGE);

      // entities sampled over HTTP; a bad request names what is wrong
      assertThat(remote.sampleEntities(VIEW, 10, 1)).containsExactly(List.of(1L));
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> remote.sampleEntities(VIEW, 0, 1))
          .isInstanceOf(dev.quiver.registry.UserInputException.class)
          .hasMessage("Cannot sample entities: count must be a whole number from 1 to 1000, got 0");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> remote.sampleEntities("nope", 5, 1))
          .isInstanceOf(dev.quiver.registry.UserInputException.class).hasMessageContaining("nope");

      // a bad "now" is a 400 naming the field
      HttpResponse<String> bad = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create(server.url() + "/get-online-features")).header("content-type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"features\": [\"" + VIEW + ":trips\"], "
              + "\"entities\": {\"driver_id\": [1]}, \"now\": \"yesterday\"}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(new ObjectMapper().readTree(bad.body()).path("detail").asText())
          .startsWith("Cannot get online features: now must be an ISO-8601 time").contains("\"yesterday\"");
    }
  }
}
