package dev.quiver.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.online.PushTarget;
import dev.quiver.registry.NoSuchFeatureViewException;
import dev.quiver.registry.UserInputException;
import dev.quiver.cli.QuiverCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rows are checked against the view's schema before anything is produced; errors name the row and column. */
class PushValidationTest {
  private static final String VIEW = "driver_hourly_stats";

  @TempDir
  Path repo;

  FeatureStore store;

  @BeforeEach
  void applyTheExample() {
    assertThat(EndToEndTest.cli("init", repo.toString()).code()).isZero();
    store = FeatureStore.open(repo);
    store.apply(false);
  }

  @org.junit.jupiter.api.AfterEach
  void close() {
    store.close();
  }

  private static Map<String, Object> row(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void shouldNameRowAndColumnOfAValueOfTheWrongType() {
    List<Map<String, Object>> rows = List.of(
        row("driver_id", 1001, "event_timestamp", "2024-05-01T10:00:00Z", "conv_rate", 0.5),
        row("driver_id", 1002, "event_timestamp", "2024-05-01T10:00:00Z", "avg_daily_trips", 3),
        row("driver_id", 1003, "event_timestamp", "2024-05-01T10:00:00Z", "avg_daily_trips", "many"));
    assertThatThrownBy(() -> store.push(VIEW, rows))
        .isInstanceOf(UserInputException.class)
        .hasMessage("Cannot push row 2 to feature view driver_hourly_stats: column avg_daily_trips: "
            + "expected INT64 but got string \"many\"");
  }

  @Test
  void shouldNameAMissingJoinKeyOrTimestampAndAnUnknownColumn() {
    assertThatThrownBy(() -> store.push(VIEW, List.of(row("event_timestamp", "2024-05-01T10:00:00Z"))))
        .hasMessage("Cannot push row 0 to feature view driver_hourly_stats: join key driver_id is missing");
    assertThatThrownBy(() -> store.push(VIEW, List.of(row("driver_id", 1), row("driver_id", 2))))
        .hasMessage("Cannot push row 0 to feature view driver_hourly_stats: event_timestamp is missing");
    assertThatThrownBy(() -> store.push(VIEW, List.of(
        row("driver_id", 1, "event_timestamp", "2024-05-01T10:00:00Z", "speed", 3.0))))
        .hasMessageStartingWith("Cannot push row 0 to feature view driver_hourly_stats: unknown column speed");
    assertThatThrownBy(() -> store.push(VIEW, List.of(
        row("driver_id", 1, "event_timestamp", "last tuesday"))))
        .hasMessageStartingWith("Cannot push row 0 to feature view driver_hourly_stats: column event_timestamp:");
  }

  @Test
  void shouldRejectAnUnknownViewAndNeedARunningServeForTheEmbeddedBroker() {
    assertThatThrownBy(() -> store.push("rider_stats", List.of(row("driver_id", 1))))
        .isInstanceOf(NoSuchFeatureViewException.class)
        .hasMessageContaining("rider_stats");
    assertThatThrownBy(() -> store.push(VIEW, List.of(row("driver_id", 1, "event_timestamp", "2024-05-01T10:00:00Z")),
        PushTarget.ONLINE))
        .isInstanceOf(UserInputException.class)
        .hasMessageStartingWith("Cannot push: kafka.bootstrap_servers is embedded and no `quiver serve` is running");
  }

  /** A store on the repo whose clock stands at {@link #NOW}, with these extra lines in quiver.yaml. */
  private FeatureStore storeAt(String... settings) throws Exception {
    if (settings.length > 0) {
      Path yaml = repo.resolve("quiver.yaml");
      Files.writeString(yaml, Files.readString(yaml) + String.join("\n", settings) + "\n");
    }
    return FeatureStore.open(repo, Clock.fixed(NOW, ZoneOffset.UTC));
  }

  private static final Instant NOW = Instant.parse("2024-05-01T10:00:00Z");
  private static final String NOT_SENT = "Cannot push: kafka.bootstrap_servers is embedded";

  @Test
  void shouldRefuseABareNumberAsATimeSayingWhichFormsAreAccepted() throws Exception {
    try (FeatureStore s = storeAt()) {
      // milliseconds, which epoch seconds would read as year 56,000
      assertThatThrownBy(() -> s.push(VIEW, List.of(
          row("driver_id", 1001, "event_timestamp", "2024-05-01T09:00:00Z"),
          row("driver_id", 1002, "event_timestamp", 1_714_557_600_000L))))
          .isInstanceOf(UserInputException.class)
          .hasMessage("Cannot push row 1 to feature view driver_hourly_stats: column event_timestamp: bare number "
              + "1714557600000 is not a time: give ISO-8601 text such as \"2024-05-01T10:00:00Z\" (an offset, or "
              + "none for UTC, or a date); a bare number is not accepted, since it does not say whether it counts "
              + "seconds, milliseconds or microseconds");
      // seconds are refused too: nothing in a number says which unit it is
      assertThatThrownBy(() -> s.push(VIEW, List.of(row("driver_id", 1001, "event_timestamp", 1_714_557_600))))
          .hasMessageContaining("column event_timestamp: bare number 1714557600 is not a time");
      assertThatThrownBy(() -> s.push(VIEW, List.of(row("driver_id", 1001, "event_timestamp", 99_999_999_999_999_999L))))
          .hasMessageContaining("column event_timestamp: bare number 99999999999999999 is not a time");
    }
  }

  @Test
  void shouldRefuseEventTimesTheMaterializerWouldDeadLetter() throws Exception {
    try (FeatureStore s = storeAt()) {
      assertThatThrownBy(() -> s.push(VIEW, List.of(row("driver_id", 1001, "event_timestamp", "1969-12-31T23:59:59Z"))))
          .isInstanceOf(UserInputException.class)
          .hasMessage("Cannot push row 0 to feature view driver_hourly_stats: column event_timestamp: "
              + "1969-12-31T23:59:59Z is before 1970-01-01T00:00:00Z (event times start at the epoch)");
      assertThatThrownBy(() -> s.push(VIEW, List.of(
          row("driver_id", 1001, "event_timestamp", NOW.toString()),
          row("driver_id", 1002, "event_timestamp", NOW.plusSeconds(6)))))
          .isInstanceOf(UserInputException.class)
          .hasMessage("Cannot push row 1 to feature view driver_hourly_stats: column event_timestamp: "
              + "2024-05-01T10:00:06Z is more than 5s ahead of now (2024-05-01T10:00:00Z; "
              + "materializer.max_future_skew is 5s)");
      assertThatThrownBy(() -> s.push(VIEW, List.of(row("driver_id", 1001, "event_timestamp", "+300000-01-01T00:00:00Z"))))
          .isInstanceOf(UserInputException.class)
          .hasMessageStartingWith("Cannot push row 0 to feature view driver_hourly_stats: column event_timestamp: "
              + "timestamp \"+300000-01-01T00:00:00Z\" is outside the range of microsecond timestamps");
      // at the limit: valid, so it gets as far as the (absent) broker
      assertThatThrownBy(() -> s.push(VIEW, List.of(row("driver_id", 1001, "event_timestamp", NOW.plusSeconds(5)))))
          .hasMessageStartingWith(NOT_SENT);
      assertThatThrownBy(() -> s.push(VIEW, List.of(row("driver_id", 1001, "event_timestamp", "1970-01-01"))))
          .hasMessageStartingWith(NOT_SENT);
    }
  }

  @Test
  void shouldTakeTheAllowedSkewFromTheSettings() throws Exception {
    try (FeatureStore s = storeAt("  max_future_skew: 1h")) {
      assertThat(s.config().maxFutureSkew()).isEqualTo(java.time.Duration.ofHours(1));
      assertThatThrownBy(() -> s.push(VIEW, List.of(row("driver_id", 1001, "event_timestamp", NOW.plusSeconds(1800)))))
          .hasMessageStartingWith(NOT_SENT);
      assertThatThrownBy(() -> s.push(VIEW, List.of(row("driver_id", 1001, "event_timestamp", NOW.plusSeconds(3601)))))
          .hasMessageContaining("is more than 1h ahead of now");
    }
  }

  @Test
  void shouldRefuseAPushToASideTheViewDoesNotKeep() throws Exception {
    Files.writeString(repo.resolve("sides.yaml"), String.join("\n",
        "sources:",
        "  - {name: trips_stream, kafka: {}, timestamp_field: event_timestamp}",
        "feature_views:",
        "  - {name: trips_offline_only, entities: [driver], source: trips_stream, online: false,",
        "     features: [{name: trips, type: INT64}]}",
        "  - {name: trips_online_only, entities: [driver], source: trips_stream, offline: false,",
        "     features: [{name: trips, type: INT64}]}",
        ""));
    store.apply(false);
    List<Map<String, Object>> rows = List.of(row("driver_id", 1001, "event_timestamp", "2024-05-01T09:00:00Z", "trips", 3));
    assertThatThrownBy(() -> store.push("trips_offline_only", rows, PushTarget.ONLINE))
        .isInstanceOf(UserInputException.class)
        .hasMessage("Cannot push to feature view trips_offline_only: to online, but the view is not stored online "
            + "(online: false); push to offline");
    assertThatThrownBy(() -> store.push("trips_online_only", rows, PushTarget.OFFLINE))
        .isInstanceOf(UserInputException.class)
        .hasMessage("Cannot push to feature view trips_online_only: to offline, but the view is not stored offline "
            + "(offline: false); push to online");
    // both sides asked for: the side the view has is written
    assertThatThrownBy(() -> store.push("trips_offline_only", rows, PushTarget.ONLINE_AND_OFFLINE))
        .hasMessageStartingWith(NOT_SENT);
    assertThatThrownBy(() -> store.push("trips_online_only", rows, PushTarget.ONLINE))
        .hasMessageStartingWith(NOT_SENT);
  }

  @Test
  void shouldApplyTheSameChecksToQuiverPush() throws Exception {
    Path csv = Files.writeString(repo.resolve("future.csv"), "driver_id,event_timestamp,conv_rate\n"
        + "1001,2024-05-01T09:00:00Z,0.5\n1002,2024-05-01T11:00:00Z,0.5\n");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = QuiverCli.run(new QuiverCli(Clock.fixed(NOW, ZoneOffset.UTC)), new PrintWriter(out), new PrintWriter(err),
        "push", "-r", repo.toString(), "--view", VIEW, "--file", csv.toString());
    assertThat(code).as(err.toString()).isEqualTo(QuiverCli.EXIT_USER_ERROR);
    assertThat(err.toString()).contains("Cannot push row 1 to feature view driver_hourly_stats: column event_timestamp: "
        + "2024-05-01T11:00:00Z is more than 5s ahead of now");
  }

  @Test
  void shouldLookUpWithoutKafka() {
    OnlineResult r = store.getOnlineFeatures("driver_ranking", Map.of("driver_id", List.of("1001", 1002)));
    assertThat(r.joinKeys()).containsExactly("driver_id");
    assertThat(r.joinKey(0, "driver_id")).isEqualTo(1001L);
    assertThat(r.featureNames()).containsExactly("conv_rate", "acc_rate", "avg_daily_trips");
    assertThat(r.value(1, "acc_rate").status()).isEqualTo(dev.quiver.online.FeatureStatus.NOT_FOUND);
  }
}
