package dev.quiver.materializer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.offline.Spine;
import dev.quiver.offline.TrainingSetExport;
import dev.quiver.online.FeatureStatus;
import dev.quiver.online.OnlineFeatures;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.Definitions;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import dev.quiver.registry.ValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A feature added to a Parquet-fed view after some of its files were written: the older files lack
 * the column. Export and batch materialize both read null for those rows, and agree at t = now.
 */
class ParquetFeatureAddedLaterTest {
  static final Instant NOW = Instant.parse("2026-01-05T00:00:00Z");
  static final long[] DRIVERS = {1, 2, 3, 4};
  static final Instant[] TIMES = {Instant.parse("2026-01-01T12:00:00Z"), Instant.parse("2026-01-02T12:00:00Z"),
      Instant.parse("2026-01-03T09:30:00Z"), Instant.parse("2026-01-03T12:00:00Z"), NOW};

  @TempDir
  Path dir;

  static Definitions defs(boolean withRating) {
    FeatureView.Builder v = FeatureView.builder("rides_history").withEntity("driver").withSource("hist")
        .withFeature("trips", ValueType.INT64);
    if (withRating) {
      v.withFeature("rating", ValueType.FLOAT64);
    }
    return Definitions.builder().withEntity(Fixtures.driver())
        .withSource(Source.parquet("hist", "data/*.parquet", "ts", null)).withView(v.build()).build();
  }

  @Test
  void shouldReadNullForRowsOfFilesWrittenBeforeTheFeatureOnBothSides() throws Exception {
    Path repo = dir.resolve("repo");
    Path data = Files.createDirectories(repo.resolve("data"));
    Path oldFile = data.resolve("a_old.parquet");
    Path newFile = data.resolve("b_new.parquet");
    Path out = dir.resolve("train.parquet");
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
      // written before rating existed; driver 3's latest event is in this file
      st.execute("COPY (SELECT * FROM (VALUES "
          + "(1::BIGINT, TIMESTAMP '2026-01-01 10:00:00', 10::BIGINT),"
          + "(2::BIGINT, TIMESTAMP '2026-01-01 11:00:00', 20::BIGINT),"
          + "(3::BIGINT, TIMESTAMP '2026-01-02 10:00:00', 30::BIGINT),"
          + "(3::BIGINT, TIMESTAMP '2026-01-03 18:00:00', 31::BIGINT)"
          + ") t(driver_id, ts, trips)) TO '" + oldFile + "' (FORMAT PARQUET)");
      st.execute("COPY (SELECT * FROM (VALUES "
          + "(2::BIGINT, TIMESTAMP '2026-01-03 09:00:00', 21::BIGINT, 4.5::DOUBLE),"
          + "(3::BIGINT, TIMESTAMP '2026-01-03 10:00:00', 32::BIGINT, 3.0::DOUBLE),"
          + "(4::BIGINT, TIMESTAMP '2026-01-03 11:00:00', 40::BIGINT, NULL::DOUBLE)"
          + ") t(driver_id, ts, trips, rating)) TO '" + newFile + "' (FORMAT PARQUET)");
    }
    RegistrySnapshot reg = Fixtures.apply(Fixtures.apply(RegistrySnapshot.empty(), defs(false)), defs(true));
    assertThat(reg.currentVersion("rides_history").version()).isEqualTo(2);

    // export: every driver at every time, compared with DuckDB's ASOF join over both files
    Spine.Builder spine = Spine.builder().withColumn("driver_id", ValueType.INT64)
        .withColumn("event_timestamp", ValueType.TIMESTAMP);
    StringBuilder spineSql = new StringBuilder();
    int row = 0;
    for (Instant t : TIMES) {
      for (long d : DRIVERS) {
        spine.addRow(d, t);
        spineSql.append(row == 0 ? "" : ",").append("(").append(row++).append(", ").append(d)
            .append("::BIGINT, TIMESTAMP '").append(t.toString().replace('T', ' ').replace("Z", "")).append("')");
      }
    }
    TrainingSetExport.builder(reg).withRepoDir(repo).withSpine(spine.build())
        .withFeatures(List.of("rides_history:trips", "rides_history:rating")).withOutput(out).withProgressBar(false)
        .build().run();

    List<List<Object>> exported = new ArrayList<>();
    List<List<Object>> oracle = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT driver_id, trips, rating FROM read_parquet('" + out
          + "', file_row_number = true) ORDER BY file_row_number")) {
        while (rs.next()) {
          exported.add(Arrays.asList(rs.getLong(1), rs.getObject(2), rs.getObject(3)));
        }
      }
      st.execute("CREATE TABLE spine AS SELECT * FROM (VALUES " + spineSql + ") t(row_id, driver_id, ts)");
      try (ResultSet rs = st.executeQuery("SELECT s.driver_id, f.trips, f.rating FROM spine s ASOF LEFT JOIN "
          + "read_parquet(['" + oldFile + "', '" + newFile + "'], union_by_name = true) f "
          + "ON s.driver_id = f.driver_id AND s.ts >= f.ts ORDER BY s.row_id")) {
        while (rs.next()) {
          oracle.add(Arrays.asList(rs.getLong(1), rs.getObject(2), rs.getObject(3)));
        }
      }
    }
    assertThat(exported).hasSize(TIMES.length * DRIVERS.length).isEqualTo(oracle);
    // at t = now: driver 1 only old rows, 2 a new row, 3 an old row later than its new one, 4 a null rating
    assertThat(exported.subList(exported.size() - 4, exported.size())).containsExactly(
        Arrays.asList(1L, 10L, null), Arrays.asList(2L, 21L, 4.5), Arrays.asList(3L, 31L, null),
        Arrays.asList(4L, 40L, null));

    // batch materialize, then the online lookup at now equals the export's rows at t = now
    try (OnlineStore online = OnlineStore.open(dir.resolve("online"), reg)) {
      BatchMaterializer batch = BatchMaterializer.builder().withRegistry(reg).withOnlineSink(online)
          .withRepoDir(repo).build();
      batch.materialize(Instant.parse("2025-12-31T00:00:00Z"), NOW, List.of("rides_history"));
      OnlineFeatures got = online.get(List.of("rides_history:trips", "rides_history:rating"),
          Map.of("driver_id", Arrays.stream(DRIVERS).boxed().toList()), NOW);
      for (int i = 0; i < DRIVERS.length; i++) {
        List<Object> atNow = exported.get(exported.size() - DRIVERS.length + i);
        assertThat(got.value(i, 0).value()).as("trips of driver %d", DRIVERS[i]).isEqualTo(atNow.get(1));
        assertThat(got.value(i, 1).value()).as("rating of driver %d", DRIVERS[i]).isEqualTo(atNow.get(2));
        assertThat(got.value(i, 1).status()).isEqualTo(atNow.get(2) == null ? FeatureStatus.NULL_VALUE : FeatureStatus.PRESENT);
      }
    }
  }
}
