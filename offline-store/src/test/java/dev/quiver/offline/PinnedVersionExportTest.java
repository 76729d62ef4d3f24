package dev.quiver.offline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.offline.internal.ParquetIo;
import dev.quiver.offline.internal.Table;
import dev.quiver.registry.Definitions;
import dev.quiver.registry.Entity;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import dev.quiver.registry.Timestamps;
import dev.quiver.registry.UserInputException;
import dev.quiver.registry.ValueType;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An export pinned to an older version after a widening is refused with the message the online
 * lookup gives (both take the rule from the registry's resolution), instead of silently reading the
 * widened values as null. A pinned feature whose type did not change keeps reading every version.
 */
class PinnedVersionExportTest {
  static final Instant T = Instant.parse("2024-05-01T12:00:00Z");

  @TempDir
  Path dir;

  static Definitions rides(ValueType trips) {
    return Definitions.builder()
        .withEntity(Entity.builder("driver").withJoinKey("driver_id", ValueType.INT64).build())
        .withSource(Source.kafka("rides_stream", null))
        .withView(FeatureView.builder("rides").withEntity("driver").withSource("rides_stream")
            .withFeature("trips", trips).withFeature("note", ValueType.STRING).build())
        .build();
  }

  private ExportResult export(RegistrySnapshot reg, OfflineStore store, String out, String... refs) {
    Spine spine = Spine.builder().withColumn("driver_id", ValueType.INT64).withColumn("event_timestamp", ValueType.TIMESTAMP)
        .addRow(1L, T).addRow(2L, T).build();
    return TrainingSetExport.builder(reg).withStore(store).withSpine(spine).withFeatures(List.of(refs))
        .withOutput(dir.resolve(out)).withProgressBar(false).build().run();
  }

  @Test
  void shouldExportAPinnedFeatureBeforeTheWideningAndRefuseItAfterNamingVersionAndFeature() throws Exception {
    RegistrySnapshot v1 = RegistrySnapshot.of(rides(ValueType.INT32));
    RegistrySnapshot v2 = v1.withDefinitions(rides(ValueType.INT64), T, "widen trips");
    AtomicReference<RegistrySnapshot> current = new AtomicReference<>(v1);
    long t = Timestamps.toMicros(T);
    try (OfflineStore store = OfflineStore.open(dir.resolve("store"), current::get)) {
      store.append("rides", List.of(
          new FeatureEvent("rides", 1, List.of(1L), t - 20, t, 0, 0, Arrays.asList(10, "old")),
          new FeatureEvent("rides", 1, List.of(2L), t - 20, t, 0, 1, Arrays.asList(20, "old"))));

      Table before = ParquetIo.read(export(v1, store, "before.parquet", "rides@v1:trips").output(),
          List.of("trips"), Arrays.asList((ValueType) null));
      assertThat(before.column("trips").value(0)).isEqualTo(10);
      assertThat(before.column("trips").value(1)).isEqualTo(20);

      current.set(v2);
      store.append("rides", List.of(
          new FeatureEvent("rides", 2, List.of(2L), t - 10, t, 0, 2, Arrays.asList(5_000_000_000L, "new"))));

      assertThatThrownBy(() -> export(v2, store, "after.parquet", "rides@v1:trips"))
          .isExactlyInstanceOf(UserInputException.class)
          .hasMessage("Cannot resolve feature rides@v1:trips: it is INT32 in v1 but INT64 in v2, and values stored"
              + " since v2 cannot be read as v1; ask for rides:trips (the current version v2, INT64)");

      Table note = ParquetIo.read(export(v2, store, "note.parquet", "rides@v1:note").output(),
          List.of("note"), Arrays.asList((ValueType) null));
      assertThat(note.column("note").value(0)).isEqualTo("old");
      assertThat(note.column("note").value(1)).isEqualTo("new");
      Table trips = ParquetIo.read(export(v2, store, "trips.parquet", "rides:trips").output(),
          List.of("trips"), Arrays.asList((ValueType) null));
      assertThat(trips.column("trips").value(0)).isEqualTo(10L);
      assertThat(trips.column("trips").value(1)).isEqualTo(5_000_000_000L);
    }
  }

  @Test
  void shouldReplayAPinnedExportMadeBeforeTheWideningIdentically() throws Exception {
    RegistrySnapshot v1 = RegistrySnapshot.of(rides(ValueType.INT32));
    RegistrySnapshot v2 = v1.withDefinitions(rides(ValueType.INT64), T, "widen trips");
    AtomicReference<RegistrySnapshot> current = new AtomicReference<>(v1);
    long t = Timestamps.toMicros(T);
    Path spine = dir.resolve("spine.parquet");
    dev.quiver.offline.internal.Column ids = new dev.quiver.offline.internal.Column("driver_id", ValueType.INT64, 2);
    ids.addLong(1);
    ids.addLong(2);
    dev.quiver.offline.internal.Column ts = new dev.quiver.offline.internal.Column("event_timestamp", ValueType.TIMESTAMP, 2);
    ts.addLong(t);
    ts.addLong(t);
    ParquetIo.write(spine, new Table(List.of(ids, ts), 2));
    try (OfflineStore store = OfflineStore.open(dir.resolve("store"), current::get)) {
      store.append("rides", List.of(
          new FeatureEvent("rides", 1, List.of(1L), t - 20, t, 0, 0, Arrays.asList(10, "old")),
          new FeatureEvent("rides", 1, List.of(2L), t - 20, t, 0, 1, Arrays.asList(20, "old"))));
      ExportResult before = TrainingSetExport.builder(v1).withStore(store).withSpine(spine)
          .withFeatures(List.of("rides@v1:trips")).withOutput(dir.resolve("before.parquet")).withProgressBar(false)
          .build().run();

      current.set(v2);
      store.append("rides", List.of(
          new FeatureEvent("rides", 2, List.of(2L), t - 10, t, 0, 2, Arrays.asList(5_000_000_000L, "new"))));

      // the manifest's inputs are v1 files only: the replay reads them as v1, byte for byte
      ReplayReport replay = TrainingSetExport.replay(before.manifest(), v2, store, null, null);
      assertThat(replay.identical()).as(replay.changedInputs().toString()).isTrue();
      assertThat(replay.actualSha256()).isEqualTo(before.outputSha256());
    }
  }
}
