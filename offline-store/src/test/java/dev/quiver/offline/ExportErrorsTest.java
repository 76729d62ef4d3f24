package dev.quiver.offline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.offline.internal.Column;
import dev.quiver.offline.internal.ParquetIo;
import dev.quiver.offline.internal.Table;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.UserInputException;
import dev.quiver.registry.ValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad inputs give UserInputExceptions naming the file and the column. */
class ExportErrorsTest {
  @TempDir
  Path dir;
  RegistrySnapshot reg;
  OfflineStore store;

  @BeforeEach
  void setUp() {
    reg = PitFixtures.registry();
    store = OfflineStore.open(dir.resolve("store"), reg);
    PitFixtures.fillStore(store, new Random(3), 20, 20, 3, 2);
  }

  private TrainingSetExport.Builder export(Path spine) {
    return TrainingSetExport.builder(reg).withStore(store).withSpine(spine)
        .withFeatures(List.of("driver_stats:trips")).withOutput(dir.resolve("out.parquet")).withProgressBar(false);
  }

  private Path spine(String name, Column... cols) throws Exception {
    Path p = dir.resolve(name);
    int rows = cols[0].size();
    ParquetIo.write(p, new Table(List.of(cols), rows));
    return p;
  }

  private static Column ints(String name, long... v) {
    Column c = new Column(name, ValueType.INT64, v.length);
    for (long x : v) {
      c.addLong(x);
    }
    return c;
  }

  private static Column times(String name) {
    Column c = new Column(name, ValueType.TIMESTAMP, 1);
    c.addLong(PitFixtures.BASE + PitFixtures.DAY);
    return c;
  }

  @Test
  void spineMissingJoinKeyColumnNamesFileAndColumn() throws Exception {
    Path s = spine("nokey.parquet", ints("other_id", 1), times("event_timestamp"));
    assertThatThrownBy(() -> export(s).build().run())
        .isInstanceOf(ExportInputException.class).isInstanceOf(UserInputException.class)
        .hasMessageContaining(s.toString()).hasMessageContaining("missing join-key column driver_id")
        .satisfies(e -> assertThat(((ExportInputException) e).column()).isEqualTo("driver_id"));
  }

  @Test
  void spineMissingTimestampColumnNamesTheConfiguredName() throws Exception {
    Path s = spine("nots.parquet", ints("driver_id", 1), times("event_timestamp"));
    assertThatThrownBy(() -> export(s).withTimestampColumn("label_time").build().run())
        .isInstanceOf(ExportInputException.class)
        .hasMessageContaining(s.toString()).hasMessageContaining("missing timestamp column label_time");
  }

  @Test
  void configuredTimestampColumnIsUsed() throws Exception {
    Path s = spine("ts.parquet", ints("driver_id", 1), times("label_time"));
    ExportResult r = export(s).withTimestampColumn("label_time").build().run();
    assertThat(r.columns()).containsExactly("driver_id", "label_time", "trips");
  }

  @Test
  void wrongColumnTypesNameFileAndColumn() throws Exception {
    Column strKey = new Column("driver_id", ValueType.STRING, 1);
    strKey.addObj("abc");
    Path s1 = spine("strkey.parquet", strKey, times("event_timestamp"));
    assertThatThrownBy(() -> export(s1).build().run())
        .isInstanceOf(ExportInputException.class)
        .hasMessageContaining(s1.toString()).hasMessageContaining("column driver_id is STRING")
        .hasMessageContaining("INT64");
    Path s2 = spine("intts.parquet", ints("driver_id", 1), ints("event_timestamp", 5));
    assertThatThrownBy(() -> export(s2).build().run())
        .isInstanceOf(ExportInputException.class)
        .hasMessageContaining(s2.toString()).hasMessageContaining("column event_timestamp is INT64")
        .hasMessageContaining("TIMESTAMP");
  }

  @Test
  void corruptSpineParquetNamesTheFile() throws Exception {
    Path s = dir.resolve("corrupt.parquet");
    Files.write(s, new byte[] {'P', 'A', 'R', '1', 1, 2, 3, 4, 5, 6, 7, 8, 'P', 'A', 'R', '1'});
    assertThatThrownBy(() -> export(s).build().run())
        .isInstanceOf(ExportInputException.class)
        .hasMessageContaining("Cannot read spine file " + s);
    Path missing = dir.resolve("nope.parquet");
    assertThatThrownBy(() -> export(missing).build().run())
        .isInstanceOf(ExportInputException.class).hasMessageContaining(missing + ": no such file");
  }

  @Test
  void corruptStoreFileNamesTheFile() throws Exception {
    long t = PitFixtures.BASE + PitFixtures.DAY;
    Path victim = store.committedFiles("driver_stats").stream()
        .filter(f -> f.minEventMicros() <= t && f.maxEventMicros() >= t - 2 * PitFixtures.HOUR)
        .findFirst().orElseThrow().path();
    byte[] b = Files.readAllBytes(victim);
    Files.write(victim, java.util.Arrays.copyOf(b, b.length / 2));
    Path s = spine("ok.parquet", ints("driver_id", 1), times("event_timestamp"));
    assertThatThrownBy(() -> export(s).build().run())
        .isInstanceOf(ExportInputException.class)
        .hasMessageContaining(victim.toString());
  }

  @Test
  void csvSpineWithABadTimestampNamesColumnAndLine() throws Exception {
    Path s = dir.resolve("spine.csv");
    Files.writeString(s, "driver_id,event_timestamp,label\n1,2024-03-02T00:00:00Z,a\n2,yesterday,b\n");
    assertThatThrownBy(() -> export(s).build().run())
        .isInstanceOf(ExportInputException.class)
        .hasMessageContaining(s.toString()).hasMessageContaining("column event_timestamp line 3");
    Path s2 = dir.resolve("spine2.csv");
    Files.writeString(s2, "customer,event_timestamp\n1,2024-03-02T00:00:00Z\n");
    assertThatThrownBy(() -> export(s2).build().run())
        .isInstanceOf(ExportInputException.class)
        .hasMessageContaining(s2.toString()).hasMessageContaining("missing join-key column driver_id");
  }

  @Test
  void optionErrorsAreUserErrors() {
    assertThatThrownBy(() -> TrainingSetExport.parseMemory("lots")).isInstanceOf(UserInputException.class)
        .hasMessageContaining("lots");
    assertThat(TrainingSetExport.parseMemory("1g")).isEqualTo(1L << 30);
    assertThat(TrainingSetExport.parseMemory("512m")).isEqualTo(512L << 20);
    assertThatThrownBy(() -> ExportFormat.parse("xlsx")).isInstanceOf(UserInputException.class).hasMessageContaining("xlsx");
    assertThatThrownBy(() -> TrainingSetExport.builder(reg).withSpine(dir.resolve("s.parquet"))
        .withOutput(dir.resolve("o.parquet")).build()).isInstanceOf(UserInputException.class)
        .hasMessageContaining("feature references or a service");
  }

  @Test
  void onlyDatePartitionsInsideTheSpineWindowAreRead() throws Exception {
    // spine at day 1 00:00, ttl 2h: files of day 0 ending before 22:00 and every later file are outside
    long t = PitFixtures.BASE + PitFixtures.DAY;
    List<CommittedFile> outside = store.committedFiles("driver_stats").stream()
        .filter(f -> f.maxEventMicros() < t - 2 * PitFixtures.HOUR || f.minEventMicros() > t).toList();
    assertThat(outside).isNotEmpty();
    for (CommittedFile f : outside) {
      Files.writeString(f.path(), "garbage");
    }
    Path s = spine("window.parquet", ints("driver_id", 1), times("event_timestamp"));
    ExportResult r = export(s).build().run();
    String manifest = Files.readString(r.manifest());
    for (CommittedFile f : outside) {
      assertThat(manifest).doesNotContain(f.path().toString());
    }
    assertThat(manifest).contains("date=2024-03-01");
  }
}
