package dev.quiver.materializer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.offline.OfflineStore;
import dev.quiver.online.OnlineFeatures;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.Definitions;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import dev.quiver.registry.Timestamps;
import dev.quiver.registry.UserInputException;
import dev.quiver.registry.ValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchMaterializerTest {
  static final Instant T0 = Fixtures.BASE;

  @TempDir
  Path dir;

  @Test
  void shouldLoadTheRangeFromTheOfflineStoreAndChangeNothingWhenRerun() throws Exception {
    String view = "batch_kafka";
    RegistrySnapshot reg = Fixtures.apply(RegistrySnapshot.empty(), Fixtures.defs(view));
    FeatureViewVersion v1 = reg.currentVersion(view);
    Random random = new Random(7);
    List<FeatureEvent> events = new ArrayList<>();
    for (long i = 0; i < 3_000; i++) {
      var row = Fixtures.row(i, 100);
      row.put("event_timestamp", T0.plusSeconds(random.nextInt(7_200)));
      events.add(Fixtures.expected(view, v1, row, Fixtures.created(i), (int) (i % 3), i / 3));
    }
    try (OfflineStore offline = OfflineStore.open(dir.resolve("offline"), reg);
         OnlineStore online = OnlineStore.open(dir.resolve("online"), reg)) {
      for (int p = 0; p < 3; p++) {
        int part = p;
        offline.append(view, events.stream().filter(e -> e.partition() == part).toList());
      }
      Instant start = T0.plusSeconds(600);
      Instant end = T0.plusSeconds(5_400);
      BatchMaterializer batch = BatchMaterializer.builder().withRegistry(reg).withOnlineSink(online)
          .withOfflineStore(offline).withBatchSize(500).build();
      List<FeatureEvent> inRange = events.stream().filter(e -> e.eventMicros() >= Timestamps.toMicros(start)
          && e.eventMicros() < Timestamps.toMicros(end)).toList();

      BatchMaterializer.Result first = batch.materialize(start, end, List.of(view));
      assertThat(first.eventsPerView()).containsEntry(view, (long) inRange.size());
      Fixtures.assertOnlineHoldsLatest(online, view, inRange);
      List<Object> before = snapshot(online, view);

      BatchMaterializer.Result again = batch.materialize(start, end, List.of());
      assertThat(again.eventsPerView()).containsEntry(view, (long) inRange.size());
      assertThat(snapshot(online, view)).isEqualTo(before);
      Fixtures.assertOnlineHoldsLatest(online, view, inRange);
    }
  }

  @Test
  void shouldLoadAParquetBatchSourceBreakingTiesByFileOrderThenRow() throws Exception {
    Path data = Files.createDirectories(dir.resolve("repo/data"));
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
      // Driver 1 has the same event time in both files: the later file wins. Driver 2 ties inside
      // one file: the later row wins. Driver 3's second event is outside the range.
      st.execute("COPY (SELECT * FROM (VALUES "
          + "(1::BIGINT, TIMESTAMP '2026-01-05 10:00:00', 0.1::FLOAT, 10::BIGINT, 'a', 5::INT),"
          + "(2::BIGINT, TIMESTAMP '2026-01-05 10:00:00', 0.2::FLOAT, 20::BIGINT, 'b', 5::INT),"
          + "(2::BIGINT, TIMESTAMP '2026-01-05 10:00:00', 0.3::FLOAT, 21::BIGINT, 'c', 5::INT),"
          + "(3::BIGINT, TIMESTAMP '2026-01-05 10:30:00', 0.4::FLOAT, 30::BIGINT, 'd', 5::INT),"
          + "(3::BIGINT, TIMESTAMP '2026-01-06 10:30:00', 0.5::FLOAT, 31::BIGINT, 'e', 5::INT)"
          + ") t(driver_id, ts, conv_rate, trips, note, extra)) TO '" + data.resolve("a.parquet") + "' (FORMAT PARQUET)");
      st.execute("COPY (SELECT * FROM (VALUES "
          + "(1::BIGINT, TIMESTAMP '2026-01-05 10:00:00', 0.9::FLOAT, 11::BIGINT)"
          + ") t(driver_id, ts, conv_rate, trips)) TO '" + data.resolve("b.parquet") + "' (FORMAT PARQUET)");
    }
    FeatureView view = FeatureView.builder("batch_pq").withEntity("driver").withSource("hist")
        .withFeature("conv_rate", ValueType.FLOAT32).withFeature("trips", ValueType.INT64)
        .withFeature("note", ValueType.STRING).build();
    Definitions defs = Definitions.builder().withEntity(Fixtures.driver())
        .withSource(Source.parquet("hist", "data/*.parquet", "ts", null)).withView(view).build();
    RegistrySnapshot reg = Fixtures.apply(RegistrySnapshot.empty(), defs);
    try (OnlineStore online = OnlineStore.open(dir.resolve("online"), reg)) {
      BatchMaterializer batch = BatchMaterializer.builder().withRegistry(reg).withOnlineSink(online)
          .withRepoDir(dir.resolve("repo")).build();
      var result = batch.materialize(T0.minusSeconds(3600), T0.plusSeconds(86_400), List.of("batch_pq"));
      assertThat(result.eventsPerView()).containsEntry("batch_pq", 5L);
      OnlineFeatures got = online.get(List.of("batch_pq:trips", "batch_pq:note"), Map.of("driver_id", List.of(1L, 2L, 3L)),
          T0.plusSeconds(86_400));
      assertThat(got.value(0, 0).value()).isEqualTo(11L);
      assertThat(got.value(0, 1).value()).as("absent column reads as null").isNull();
      assertThat(got.value(1, 0).value()).isEqualTo(21L);
      assertThat(got.value(2, 0).value()).isEqualTo(30L);
      assertThat(got.value(2, 0).eventTime()).isEqualTo(Instant.parse("2026-01-05T10:30:00Z"));

      batch.materialize(T0.minusSeconds(3600), T0.plusSeconds(86_400), List.of("batch_pq"));
      OnlineFeatures again = online.get(List.of("batch_pq:trips"), Map.of("driver_id", List.of(1L, 2L, 3L)),
          T0.plusSeconds(86_400));
      assertThat(LongStream.range(0, 3).mapToObj(i -> again.value((int) i, 0).value()).toList())
          .containsExactly(11L, 21L, 30L);
    }
  }

  @Test
  void shouldNameTheFileAndColumnWhenASourceLacksTheTimestamp() throws Exception {
    Path data = Files.createDirectories(dir.resolve("repo/data"));
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
      st.execute("COPY (SELECT 1::BIGINT AS driver_id, 2::BIGINT AS trips) TO '" + data.resolve("x.parquet")
          + "' (FORMAT PARQUET)");
    }
    FeatureView view = FeatureView.builder("batch_bad").withEntity("driver").withSource("hist")
        .withFeature("trips", ValueType.INT64).build();
    Definitions defs = Definitions.builder().withEntity(Fixtures.driver())
        .withSource(Source.parquet("hist", "data/*.parquet", "ts", null)).withView(view).build();
    RegistrySnapshot reg = Fixtures.apply(RegistrySnapshot.empty(), defs);
    try (OnlineStore online = OnlineStore.open(dir.resolve("online"), reg)) {
      BatchMaterializer batch = BatchMaterializer.builder().withRegistry(reg).withOnlineSink(online)
          .withRepoDir(dir.resolve("repo")).build();
      assertThatThrownBy(() -> batch.materialize(T0, T0.plusSeconds(1), List.of("batch_bad")))
          .isInstanceOf(UserInputException.class)
          .hasMessageContaining("Cannot materialize view batch_bad from ")
          .hasMessageContaining("x.parquet: column ts is missing");
    }
  }

  private static List<Object> snapshot(OnlineStore online, String view) {
    List<Long> ids = LongStream.range(0, 100).boxed().toList();
    OnlineFeatures f = online.get(List.of(view + ":trips", view + ":note"), Map.of("driver_id", ids), T0.plusSeconds(86_400));
    List<Object> out = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      out.add(f.value(i, 0).value() + "|" + f.value(i, 1).value() + "|" + f.value(i, 0).eventTime());
    }
    return out;
  }
}
