package dev.quiver.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.Timestamps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The consistency check against each kind of divergence, each built by writing one store directly
 * (no Kafka): a value, an event time or a status that differs, an entity only the offline store
 * holds (missing) and one only the online store holds (extra), all at one fixed clock.
 */
class ConsistencyCheckTest {
  static final String VIEW = "driver_stats";
  static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");
  static final String DEFINITIONS = """
      entities:
        - name: driver
          join_keys: [{name: driver_id, type: INT64}]
      sources:
        - name: driver_stream
          kafka: {}
          timestamp_field: event_timestamp
      feature_views:
        - name: driver_stats
          entities: [driver]
          source: driver_stream
          ttl: 2h
          features:
            - {name: conv_rate, type: FLOAT32}
            - {name: trips, type: INT64}
      """;

  @TempDir
  Path repo;

  FeatureStore store;
  long offset;

  @BeforeEach
  void open() throws Exception {
    Files.writeString(repo.resolve("defs.yaml"), DEFINITIONS);
    store = FeatureStore.open(QuiverConfig.load(repo), Clock.fixed(NOW, ZoneOffset.UTC));
    store.apply(false);
  }

  @org.junit.jupiter.api.AfterEach
  void close() {
    store.close();
  }

  FeatureEvent event(long driver, Instant t, Float conv, Long trips) {
    return new FeatureEvent(VIEW, 1, List.of(driver), Timestamps.toMicros(t), Timestamps.toMicros(t), 0, offset++,
        Arrays.asList(conv, trips));
  }

  void both(FeatureEvent... events) {
    online(events);
    offline(events);
  }

  void online(FeatureEvent... events) {
    store.onlineStore().write(List.of(events), Map.of());
  }

  void offline(FeatureEvent... events) {
    store.offlineStore().append(VIEW, List.of(events));
  }

  ConsistencyReport check() {
    return store.checkConsistency(List.of(), 100, store);
  }

  @Test
  void shouldFindNothingWhenBothStoresHoldTheSameEventsIncludingOnesAtTheTtlEdgeAndBeyond() {
    both(event(1, NOW.minusSeconds(60), 0.5f, 3L),
        event(2, NOW.minus(Duration.ofHours(2)), 0.25f, null), // exactly ttl old: still present on both sides
        event(3, NOW.minus(Duration.ofHours(3)), 0.75f, 1L));  // outside the ttl on both sides
    ConsistencyReport r = check();
    assertThat(r.mismatches()).isEmpty();
    assertThat(r.missing()).isEmpty();
    assertThat(r.extra()).isEmpty();
    assertThat(r.consistent()).isTrue();
    assertThat(r.at()).isEqualTo(NOW);
    assertThat(r.entitiesPerView()).containsEntry(VIEW, 3);
    assertThat(r.valuesCompared()).isEqualTo(4); // drivers 1 and 2; driver 3 is outside the ttl on both
  }

  @Test
  void shouldReportAValueThatDiffers() {
    Instant t = NOW.minusSeconds(60);
    online(event(1, t, 0.5f, 3L));
    offline(event(1, t, 0.5f, 4L));
    ConsistencyReport r = check();
    assertThat(r.mismatches()).singleElement().hasToString(
        "driver_stats {driver_id=1} trips: online 3 (PRESENT at " + t + "), offline 4 (PRESENT at " + t + ")");
    assertThat(r.missing()).isEmpty();
    assertThat(r.extra()).isEmpty();
  }

  @Test
  void shouldReportAnEventTimeThatDiffersEvenWhenTheValuesAreEqual() {
    online(event(1, NOW.minusSeconds(120), 0.5f, 3L));
    offline(event(1, NOW.minusSeconds(60), 0.5f, 3L));
    ConsistencyReport r = check();
    assertThat(r.mismatches()).hasSize(2).allSatisfy(m -> {
      assertThat(m.onlineEventTime()).isEqualTo(NOW.minusSeconds(120));
      assertThat(m.offlineEventTime()).isEqualTo(NOW.minusSeconds(60));
      assertThat(m.onlineValue()).isEqualTo(m.offlineValue());
    });
  }

  @Test
  void shouldReportAStatusThatDiffers() {
    Instant t = NOW.minusSeconds(60);
    online(event(1, t, null, 3L));
    offline(event(1, t, 0.5f, 3L));
    ConsistencyReport r = check();
    assertThat(r.mismatches()).singleElement().satisfies(m -> {
      assertThat(m.feature()).isEqualTo("conv_rate");
      assertThat(m.onlineStatus()).isEqualTo("NULL_VALUE");
      assertThat(m.offlineStatus()).isEqualTo("PRESENT");
      assertThat(m.offlineValue()).isEqualTo(0.5f);
    });
  }

  @Test
  void shouldReportAnOnlineValueOutsideTheTtlWhereOfflineHasANewerEvent() {
    online(event(1, NOW.minus(Duration.ofHours(3)), 0.5f, 3L));
    offline(event(1, NOW.minus(Duration.ofHours(3)), 0.5f, 3L), event(1, NOW.minusSeconds(1), 0.5f, 3L));
    ConsistencyReport r = check();
    assertThat(r.mismatches()).hasSize(2)
        .allSatisfy(m -> assertThat(m.onlineStatus()).isEqualTo("OUTSIDE_MAX_AGE"));
  }

  @Test
  void shouldReportAnEntityOnlyTheOfflineStoreHoldsAsMissing() {
    both(event(1, NOW.minusSeconds(60), 0.5f, 3L));
    offline(event(7, NOW.minusSeconds(60), 0.5f, 3L), event(8, NOW.minus(Duration.ofDays(1)), 0.5f, 3L));
    ConsistencyReport r = check();
    assertThat(r.missing()).extracting(ConsistencyReport.EntityDifference::toString).containsExactlyInAnyOrder(
        "driver_stats {driver_id=7}: offline has it (event time " + NOW.minusSeconds(60) + "), online has no value",
        "driver_stats {driver_id=8}: offline has it (no event in the ttl window at " + NOW + "), online has no value");
    assertThat(r.mismatches()).isEmpty();
    assertThat(r.extra()).isEmpty();
    assertThat(r.consistent()).isFalse();
  }

  @Test
  void shouldReportAnEntityOnlyTheOnlineStoreHoldsAsExtra() {
    both(event(1, NOW.minusSeconds(60), 0.5f, 3L));
    online(event(9, NOW.minusSeconds(30), 0.5f, 3L),
        event(10, NOW.minus(Duration.ofHours(5)), 0.5f, 3L)); // outside the ttl: nothing at t on either side
    ConsistencyReport r = check();
    assertThat(r.extra()).extracting(ConsistencyReport.EntityDifference::toString).containsExactly(
        "driver_stats {driver_id=9}: online has a value (event time " + NOW.minusSeconds(30)
            + "), offline has no event at " + NOW + " within its ttl of PT2H");
    assertThat(r.missing()).isEmpty();
    assertThat(r.mismatches()).isEmpty();
    assertThat(r.entitiesPerView()).containsEntry(VIEW, 3);
  }

  @Test
  void shouldPrintMissingAndExtraEntitiesAndExitThreeFromTheCliAtTheClisClock() {
    Instant t = NOW.minusSeconds(60);
    both(event(1, t, 0.5f, 3L));
    offline(event(7, t, 0.5f, 3L));
    online(event(9, t, 0.5f, 3L));
    store.close();
    java.io.StringWriter out = new java.io.StringWriter();
    java.io.StringWriter err = new java.io.StringWriter();
    int code = dev.quiver.cli.QuiverCli.run(new dev.quiver.cli.QuiverCli(Clock.fixed(NOW, ZoneOffset.UTC)),
        new java.io.PrintWriter(out), new java.io.PrintWriter(err), "check-consistency", "-r", repo.toString());
    assertThat(code).as(out + "\n" + err).isEqualTo(3);
    assertThat(out.toString())
        .contains("MISSING driver_stats {driver_id=7}: offline has it (event time " + t + "), online has no value")
        .contains("EXTRA driver_stats {driver_id=9}: online has a value (event time " + t + ")")
        .contains("Compared 2 values of 3 entities at " + NOW + ": 0 mismatches, 1 missing, 1 extra.");
  }

  @Test
  void shouldSampleEntitiesOfBothStoresReproduciblyWithoutTakingOnlyTheFirstKeys() {
    List<FeatureEvent> events = new ArrayList<>();
    for (long d = 0; d < 500; d++) {
      events.add(event(d, NOW.minusSeconds(d), 0.5f, d));
    }
    both(events.toArray(FeatureEvent[]::new));
    List<List<Object>> online = store.sampleEntities(VIEW, 20, 7);
    assertThat(online).hasSize(20).doesNotHaveDuplicates().isEqualTo(store.sampleEntities(VIEW, 20, 7));
    assertThat(online).isNotEqualTo(store.sampleEntities(VIEW, 20, 8));
    assertThat(online.stream().mapToLong(k -> (Long) k.get(0)).max().getAsLong()).isGreaterThan(100);
    assertThat(store.sampleEntities(VIEW, 1000, 7)).hasSize(500).doesNotHaveDuplicates();
    List<List<Object>> offline = store.offlineStore().sampleEntities(VIEW, 20, 7);
    assertThat(offline).hasSize(20).doesNotHaveDuplicates().isEqualTo(store.offlineStore().sampleEntities(VIEW, 20, 7));
    ConsistencyReport r = store.checkConsistency(List.of(VIEW), 20, store);
    assertThat(r.consistent()).isTrue();
    assertThat(r.entitiesPerView().get(VIEW)).isBetween(20, 40);
  }
}
