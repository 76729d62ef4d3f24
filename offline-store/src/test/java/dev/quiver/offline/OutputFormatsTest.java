package dev.quiver.offline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.offline.internal.Column;
import dev.quiver.offline.internal.ParquetIo;
import dev.quiver.offline.internal.Table;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Timestamps;
import dev.quiver.registry.ValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputFormatsTest {
  @TempDir
  Path dir;
  RegistrySnapshot reg;
  OfflineStore store;
  Path repo;
  Path spine;
  static final List<String> COLS = List.of("driver_id", "customer_id", "event_timestamp", "label", "note",
      "conv_rate", "trips", "city", "score", "active", "total");

  @BeforeEach
  void setUp() throws Exception {
    Random r = new Random(21);
    reg = PitFixtures.registry();
    store = OfflineStore.open(dir.resolve("store"), reg);
    repo = dir.resolve("repo");
    PitFixtures.fillStore(store, r, 200, 150, 8, 3);
    PitFixtures.writeLifetimeFiles(repo, r, 200, 3);
    spine = PitFixtures.writeSpine(dir.resolve("spine.parquet"), r, 800, 200, 150, 3);
  }

  private ExportResult export(Path spineFile, Path out, ExportFormat f) {
    return TrainingSetExport.builder(reg).withStore(store).withRepoDir(repo).withSpine(spineFile)
        .withFeatures(PitFixtures.ALL_REFS).withOutput(out).withFormat(f).withProgressBar(false).build().run();
  }

  private List<List<Object>> parquetValues(Path file) throws Exception {
    Table t = ParquetIo.read(file, COLS, Arrays.asList(new ValueType[COLS.size()]));
    List<List<Object>> rows = new ArrayList<>();
    for (int i = 0; i < t.rows(); i++) {
      List<Object> row = new ArrayList<>();
      for (String c : COLS) {
        row.add(t.column(c).value(i));
      }
      rows.add(row);
    }
    return rows;
  }

  @Test
  void arrowOutputHoldsTheSameValuesAsParquet() throws Exception {
    ExportResult pq = export(spine, dir.resolve("t.parquet"), ExportFormat.PARQUET);
    ExportResult ar = export(spine, dir.resolve("t.arrow"), ExportFormat.ARROW);
    List<List<Object>> expected = parquetValues(pq.output());
    List<List<Object>> actual = new ArrayList<>();
    try (RootAllocator alloc = new RootAllocator();
         ArrowFileReader reader = new ArrowFileReader(Files.newByteChannel(ar.output()), alloc)) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      assertThat(root.getSchema().getFields().stream().map(f -> f.getName()).toList()).isEqualTo(COLS);
      while (reader.loadNextBatch()) {
        for (int i = 0; i < root.getRowCount(); i++) {
          List<Object> row = new ArrayList<>();
          for (String c : COLS) {
            Object o = root.getVector(c).getObject(i);
            if (c.equals("event_timestamp") && o != null) {
              o = Timestamps.fromMicros((Long) o);
            } else if (o instanceof org.apache.arrow.vector.util.Text text) {
              o = text.toString();
            }
            row.add(o);
          }
          actual.add(row);
        }
      }
    }
    assertThat(actual).isEqualTo(expected);
  }

  @Test
  void csvSpineGivesTheSameFeaturesAndCsvOutputPassesLabelsThrough() throws Exception {
    ExportResult pq = export(spine, dir.resolve("t.parquet"), ExportFormat.PARQUET);
    List<List<Object>> expected = parquetValues(pq.output());
    Path csvSpine = dir.resolve("spine.csv");
    StringBuilder sb = new StringBuilder("driver_id,customer_id,event_timestamp,label,note\n");
    for (List<Object> r : expected) {
      sb.append(r.get(0)).append(',').append(r.get(1)).append(',').append(r.get(2)).append(',')
          .append(r.get(3)).append(',').append(r.get(4) == null ? "" : r.get(4)).append('\n');
    }
    Files.writeString(csvSpine, sb);
    ExportResult fromCsv = export(csvSpine, dir.resolve("c.parquet"), ExportFormat.PARQUET);
    Table t = ParquetIo.read(fromCsv.output(), COLS.subList(5, COLS.size()), Arrays.asList(new ValueType[6]));
    for (int i = 0; i < expected.size(); i++) {
      for (int c = 5; c < COLS.size(); c++) {
        assertThat(t.column(COLS.get(c)).value(i)).as("row %d %s", i, COLS.get(c)).isEqualTo(expected.get(i).get(c));
      }
    }
    ExportResult csvOut = export(csvSpine, dir.resolve("c.csv"), ExportFormat.CSV);
    List<String> lines = Files.readAllLines(csvOut.output());
    assertThat(lines.get(0)).isEqualTo(String.join(",", COLS));
    assertThat(lines).hasSize(expected.size() + 1);
    List<Object> r0 = expected.get(0);
    assertThat(lines.get(1)).startsWith(r0.get(0) + "," + r0.get(1) + "," + r0.get(2) + "," + r0.get(3) + ",");
    assertThat(lines.get(1)).endsWith("," + (r0.get(10) == null ? "" : r0.get(10)));
  }

  @Test
  void listColumnsRoundTripThroughParquet() throws Exception {
    Column c = new Column("x", ValueType.parse("LIST<FLOAT32>").orElseThrow(), 3);
    c.addObj(List.of(1f, 2f));
    c.addObj(null);
    c.addObj(List.of());
    Path f = dir.resolve("lists.parquet");
    ParquetIo.write(f, new Table(List.of(c), 3));
    Table back = ParquetIo.read(f, List.of("x"), Arrays.asList((ValueType) null));
    assertThat(back.column("x").value(0)).isEqualTo(List.of(1f, 2f));
    assertThat(back.column("x").value(1)).isNull();
    assertThat(back.column("x").value(2)).isEqualTo(List.of());
  }

  @Test
  void listFeatureWrittenByTheStoreComesBackInTheExport() throws Exception {
    RegistrySnapshot r = RegistrySnapshot.of(dev.quiver.registry.Definitions.builder()
        .withEntity(dev.quiver.registry.Entity.builder("user").withJoinKey("user_id", ValueType.STRING).build())
        .withSource(dev.quiver.registry.Source.kafka("s", null))
        .withView(dev.quiver.registry.FeatureView.builder("emb").withEntity("user").withSource("s")
            .withFeature("vec", ValueType.parse("LIST<FLOAT32>").orElseThrow())
            .withFeature("tags", ValueType.parse("LIST<STRING>").orElseThrow()).build())
        .build());
    long t = PitFixtures.BASE;
    try (OfflineStore s = OfflineStore.open(dir.resolve("lists"), r)) {
      s.append("emb", List.of(
          new dev.quiver.registry.FeatureEvent("emb", 1, List.of("u1"), t, t, 0, 0, Arrays.asList(List.of(1f, 2.5f), List.of("a", "b"))),
          new dev.quiver.registry.FeatureEvent("emb", 1, List.of("u2"), t, t, 0, 1, Arrays.asList(null, List.of()))));
      Spine sp = Spine.builder().withColumn("user_id", ValueType.STRING).withColumn("event_timestamp", ValueType.TIMESTAMP)
          .addRow("u1", Timestamps.fromMicros(t)).addRow("u2", Timestamps.fromMicros(t)).addRow("u3", Timestamps.fromMicros(t))
          .build();
      ExportResult res = TrainingSetExport.builder(r).withStore(s).withSpine(sp).withFeatures(List.of("emb:vec", "emb:tags"))
          .withOutput(dir.resolve("emb.parquet")).withProgressBar(false).build().run();
      Table out = ParquetIo.read(res.output(), List.of("vec", "tags"), Arrays.asList(null, null));
      assertThat(out.column("vec").value(0)).isEqualTo(List.of(1f, 2.5f));
      assertThat(out.column("tags").value(0)).isEqualTo(List.of("a", "b"));
      assertThat(out.column("vec").value(1)).isNull();
      assertThat(out.column("tags").value(1)).isEqualTo(List.of());
      assertThat(out.column("vec").value(2)).isNull();
    }
  }

  @Test
  void spinesWrittenByDuckDbWithMilliAndNanoTimestampsGiveTheSameFeatures() throws Exception {
    ExportResult ours = export(spine, dir.resolve("ours.parquet"), ExportFormat.PARQUET);
    List<List<Object>> expected = parquetValues(ours.output());
    for (String type : List.of("TIMESTAMPTZ", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP")) {
      Path duckSpine = dir.resolve("duck-" + type + ".parquet");
      try (DuckDbOracle duck = new DuckDbOracle(); java.sql.Statement st = duck.conn.createStatement()) {
        st.execute("SET TimeZone = 'UTC'");
        st.execute("COPY (SELECT driver_id, customer_id, event_timestamp::" + type + " AS event_timestamp, label, note "
            + "FROM read_parquet('" + spine + "', file_row_number = true) ORDER BY file_row_number) TO '" + duckSpine
            + "' (FORMAT PARQUET)");
      }
      ExportResult r = export(duckSpine, dir.resolve("from-duck-" + type + ".parquet"), ExportFormat.PARQUET);
      Table t = ParquetIo.read(r.output(), COLS, Arrays.asList(new ValueType[COLS.size()]));
      for (int i = 0; i < expected.size(); i++) {
        for (int c = 0; c < COLS.size(); c++) {
          assertThat(t.column(COLS.get(c)).value(i)).as("%s row %d %s", type, i, COLS.get(c))
              .isEqualTo(expected.get(i).get(c));
        }
      }
    }
  }
}
