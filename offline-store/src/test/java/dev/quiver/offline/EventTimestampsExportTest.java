package dev.quiver.offline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.offline.internal.Column;
import dev.quiver.offline.internal.ParquetIo;
import dev.quiver.offline.internal.Table;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Timestamps;
import dev.quiver.registry.UserInputException;
import dev.quiver.registry.ValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code withEventTimestamps}: the event time of the row each spine row got, per view, on every join path. */
class EventTimestampsExportTest {
  @TempDir
  Path dir;
  RegistrySnapshot reg;
  OfflineStore store;
  Path repo;
  Spine spine;
  long[] spineTimes;

  @BeforeEach
  void setUp() throws Exception {
    Random r = new Random(11);
    reg = PitFixtures.registry();
    store = OfflineStore.open(dir.resolve("store"), reg);
    repo = dir.resolve("repo");
    PitFixtures.fillStore(store, r, 100, 80, 8, 2);
    PitFixtures.writeLifetimeFiles(repo, r, 100, 2);
    Spine.Builder b = Spine.builder().withColumn("driver_id", ValueType.INT64)
        .withColumn("customer_id", ValueType.STRING).withColumn("event_timestamp", ValueType.TIMESTAMP);
    spineTimes = new long[500];
    for (int i = 0; i < 500; i++) {
      spineTimes[i] = PitFixtures.gridTime(r, 3);
      b.addRow((long) r.nextInt(110), "cust-" + r.nextInt(90), Timestamps.fromMicros(spineTimes[i]));
    }
    spine = b.build();
  }

  private TrainingSetExport.Builder export(Path out) {
    return TrainingSetExport.builder(reg).withStore(store).withRepoDir(repo).withSpine(spine)
        .withFeatures(PitFixtures.ALL_REFS).withOutput(out).withProgressBar(false).withEventTimestamps(true);
  }

  @Test
  void shouldAddEachViewsPickedEventTimeTheSameInMemoryAndPartitionedAndReplayIt() throws Exception {
    ExportResult inMemory = export(dir.resolve("a.parquet")).build().run();
    ExportResult partitioned = export(dir.resolve("b.parquet")).withMemoryBudget(4096).build().run();
    assertThat(inMemory.columns()).containsSubsequence("conv_rate", "city", "driver_stats__event_timestamp",
        "score", "active", "customer_profile__event_timestamp", "total", "driver_lifetime__event_timestamp");
    assertThat(Files.readAllBytes(partitioned.output())).isEqualTo(Files.readAllBytes(inMemory.output()));
    // a spine file's export with the option replays byte-identically (the manifest records it)
    Path spineFile = PitFixtures.writeSpine(dir.resolve("spine.parquet"), new Random(3), 300, 100, 80, 2);
    ExportResult fromFile = TrainingSetExport.builder(reg).withStore(store).withRepoDir(repo).withSpine(spineFile)
        .withFeatures(PitFixtures.ALL_REFS).withOutput(dir.resolve("f.parquet")).withProgressBar(false)
        .withEventTimestamps(true).build().run();
    assertThat(fromFile.columns()).contains("driver_stats__event_timestamp");
    assertThat(TrainingSetExport.replay(fromFile.manifest(), reg, store, repo, null).identical()).isTrue();

    Table t = ParquetIo.read(inMemory.output(), List.of("trips", "driver_stats__event_timestamp"),
        List.of(ValueType.INT64, ValueType.TIMESTAMP));
    Column trips = t.column("trips");
    Column at = t.column("driver_stats__event_timestamp");
    int found = 0;
    for (int i = 0; i < t.rows(); i++) {
      if (at.isNull(i)) {
        assertThat(trips.isNull(i)).isTrue();
        continue;
      }
      found++;
      // inside [t - 2h, t], the view's ttl window
      assertThat(at.getLong(i)).isLessThanOrEqualTo(spineTimes[i]).isGreaterThanOrEqualTo(spineTimes[i] - 2 * PitFixtures.HOUR);
    }
    assertThat(found).isGreaterThan(50);

    // without the option, the same features and no such columns
    ExportResult plain = TrainingSetExport.builder(reg).withStore(store).withRepoDir(repo).withSpine(spine)
        .withFeatures(PitFixtures.ALL_REFS).withOutput(dir.resolve("c.parquet")).withProgressBar(false).build().run();
    assertThat(plain.columns()).noneMatch(c -> c.endsWith("__event_timestamp"));
  }

  @Test
  void shouldRefuseASpineColumnOfThatName() {
    Spine clash = Spine.builder().withColumn("driver_id", ValueType.INT64)
        .withColumn("event_timestamp", ValueType.TIMESTAMP).withColumn("driver_stats__event_timestamp", ValueType.INT64)
        .addRow(1L, Timestamps.fromMicros(PitFixtures.BASE), 5L).build();
    assertThatThrownBy(() -> TrainingSetExport.builder(reg).withStore(store).withSpine(clash)
        .withFeatures(List.of("driver_stats:trips")).withOutput(dir.resolve("d.parquet")).withProgressBar(false)
        .withEventTimestamps(true).build().run())
        .isInstanceOf(UserInputException.class)
        .hasMessageContaining("output column driver_stats__event_timestamp collides with the spine column");
  }
}
