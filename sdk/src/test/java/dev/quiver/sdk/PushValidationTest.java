package dev.quiver.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.online.PushTarget;
import dev.quiver.registry.NoSuchFeatureViewException;
import dev.quiver.registry.UserInputException;
import java.nio.file.Path;
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

  @Test
  void shouldLookUpWithoutKafka() {
    OnlineResult r = store.getOnlineFeatures("driver_ranking", Map.of("driver_id", List.of("1001", 1002)));
    assertThat(r.joinKeys()).containsExactly("driver_id");
    assertThat(r.joinKey(0, "driver_id")).isEqualTo(1001L);
    assertThat(r.featureNames()).containsExactly("conv_rate", "acc_rate", "avg_daily_trips");
    assertThat(r.value(1, "acc_rate").status()).isEqualTo(dev.quiver.online.FeatureStatus.NOT_FOUND);
  }
}
