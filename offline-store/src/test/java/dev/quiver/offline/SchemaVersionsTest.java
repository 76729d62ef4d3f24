package dev.quiver.offline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.offline.internal.ParquetIo;
import dev.quiver.offline.internal.Table;
import dev.quiver.registry.Definitions;
import dev.quiver.registry.Entity;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import dev.quiver.registry.Timestamps;
import dev.quiver.registry.ValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Data written under older schema versions of a view is read as the version the export resolves. */
class SchemaVersionsTest {
  @TempDir
  Path dir;

  private static Definitions defs(boolean withB) {
    FeatureView.Builder v = FeatureView.builder("stats").withEntity("driver").withSource("s")
        .withFeature("a", ValueType.INT64);
    if (withB) {
      v.withFeature("b", ValueType.STRING);
    }
    return Definitions.builder()
        .withEntity(Entity.builder("driver").withJoinKey("driver_id", ValueType.INT64).build())
        .withSource(Source.kafka("s", null)).withView(v.build()).build();
  }

  @Test
  void olderVersionFilesAreReadWithNewFeaturesNullAndTheOrderingRuleAcrossVersions() throws Exception {
    RegistrySnapshot v1 = RegistrySnapshot.of(defs(false));
    RegistrySnapshot v2 = v1.withDefinitions(defs(true), Instant.EPOCH, "add b");
    assertThat(v2.currentVersion("stats").version()).isEqualTo(2);
    long t = Timestamps.toMicros(Instant.parse("2024-05-01T12:00:00Z"));
    try (OfflineStore store = OfflineStore.open(dir.resolve("store"), () -> v2)) {
      store.append("stats", List.of(
          new FeatureEvent("stats", 1, List.of(1L), t - 10, t, 0, 0, Arrays.asList(100L)),
          new FeatureEvent("stats", 1, List.of(2L), t - 5, t, 0, 1, Arrays.asList(200L))));
      store.append("stats", List.of(
          new FeatureEvent("stats", 2, List.of(2L), t - 20, t, 0, 2, Arrays.asList(300L, "new"))));
      assertThat(Files.exists(dir.resolve("store/stats/v1"))).isTrue();
      assertThat(Files.exists(dir.resolve("store/stats/v2"))).isTrue();
      Spine spine = Spine.builder().withColumn("driver_id", ValueType.INT64).withColumn("event_timestamp", ValueType.TIMESTAMP)
          .addRow(1L, Timestamps.fromMicros(t)).addRow(2L, Timestamps.fromMicros(t)).addRow(2L, Timestamps.fromMicros(t - 6))
          .build();
      ExportResult r = TrainingSetExport.builder(v2).withStore(store).withSpine(spine)
          .withFeatures(List.of("stats:a", "stats:b")).withOutput(dir.resolve("out.parquet")).withProgressBar(false)
          .build().run();
      Table out = ParquetIo.read(r.output(), List.of("a", "b"), Arrays.asList(null, null));
      assertThat(out.column("a").value(0)).isEqualTo(100L);
      assertThat(out.column("b").value(0)).isNull();
      // the v1 event of driver 2 is later than its v2 event, so it wins and b is null
      assertThat(out.column("a").value(1)).isEqualTo(200L);
      assertThat(out.column("b").value(1)).isNull();
      assertThat(out.column("a").value(2)).isEqualTo(300L);
      assertThat(out.column("b").value(2)).isEqualTo("new");
    }
  }
}
