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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hand-built cases like Feast's published point-in-time examples, and naming rules. */
class FeastCasesTest {
  static final long MIN = 60_000_000L;
  static final long DAY = 86_400_000_000L;
  static final long T = Timestamps.toMicros(Instant.parse("2024-06-15T12:00:00Z"));

  @TempDir
  Path dir;
  RegistrySnapshot reg;
  OfflineStore store;
  long offset;

  @BeforeEach
  void setUp() {
    reg = RegistrySnapshot.of(Definitions.builder()
        .withEntity(Entity.builder("driver").withJoinKey("driver_id", ValueType.INT64).build())
        .withSource(Source.kafka("s", null))
        .withView(FeatureView.builder("stats").withEntity("driver").withSource("s").withTtl(Duration.ofDays(10))
            .withFeature("val", ValueType.INT64).build())
        .withView(FeatureView.builder("other").withEntity("driver").withSource("s").withTtl(Duration.ZERO)
            .withFeature("val", ValueType.INT64).withFeature("extra", ValueType.STRING).build())
        .build());
    store = OfflineStore.open(dir.resolve("store"), reg);
  }

  private void event(String view, long driver, long eventTs, long created, long val) {
    List<Object> values = view.equals("stats") ? List.of(val) : Arrays.asList(val, "x" + val);
    store.append(view, List.of(new FeatureEvent(view, 1, List.of(driver), eventTs, created, 0, offset++, values)));
  }

  private List<Object> export(List<String> refs, boolean full, Object[]... rows) throws Exception {
    Spine.Builder sb = Spine.builder().withColumn("driver_id", ValueType.INT64)
        .withColumn("event_timestamp", ValueType.TIMESTAMP);
    for (Object[] r : rows) {
      sb.addRow(r);
    }
    Path out = dir.resolve("out-" + offset + "-" + System.nanoTime() + ".parquet");
    ExportResult res = TrainingSetExport.builder(reg).withStore(store).withSpine(sb.build()).withFeatures(refs)
        .withFullFeatureNames(full).withOutput(out).withProgressBar(false).build().run();
    String col = res.columns().get(2);
    Table t = ParquetIo.read(out, List.of(col), Arrays.asList((ValueType) null));
    List<Object> vals = new ArrayList<>();
    for (int i = 0; i < t.rows(); i++) {
      vals.add(t.column(col).value(i));
    }
    return vals;
  }

  private static Object[] row(long driver, long t) {
    return new Object[] {driver, Timestamps.fromMicros(t)};
  }

  @Test
  void backfilledRowWithLaterCreatedTimeWinsOverLaterOffset() throws Exception {
    event("stats", 1, T - MIN, T + 60 * MIN, 2); // the backfill: same event time, created later, lower offset
    event("stats", 1, T - MIN, T, 1);
    assertThat(export(List.of("stats:val"), false, row(1, T))).containsExactly(2L);
  }

  @Test
  void laterEventTimeBeatsLaterCreatedTime() throws Exception {
    event("stats", 1, T - 2 * MIN, T + 300 * MIN, 1);
    event("stats", 1, T - MIN, T - MIN, 2);
    assertThat(export(List.of("stats:val"), false, row(1, T))).containsExactly(2L);
  }

  @Test
  void fullTieIsBrokenByOffsetAndMissingCreatedTimeIsSmallest() throws Exception {
    event("stats", 1, T - MIN, T, 1);
    event("stats", 1, T - MIN, T, 2);
    event("stats", 2, T - MIN, T, 3);
    event("stats", 2, T - MIN, FeatureEvent.NO_CREATED_TIME, 4);
    assertThat(export(List.of("stats:val"), false, row(1, T), row(2, T))).containsExactly(2L, 3L);
  }

  @Test
  void eventAtExactlyTIsIncludedAndEventsAfterTAreNot() throws Exception {
    event("stats", 1, T, T, 7);
    event("stats", 1, T + 1, T + 1, 8);
    assertThat(export(List.of("stats:val"), false, row(1, T), row(1, T - 1))).containsExactly(7L, null);
  }

  @Test
  void ttlBoundIsInclusiveAndAYearOldValueUnderTenDayTtlIsNull() throws Exception {
    event("stats", 1, T - 365 * DAY, T - 365 * DAY, 1);
    event("stats", 2, T - 10 * DAY, T - 10 * DAY, 2);
    event("stats", 3, T - 10 * DAY - 1, T - 10 * DAY - 1, 3);
    // the view without ttl still sees the year-old value
    event("other", 1, T - 365 * DAY, T - 365 * DAY, 9);
    assertThat(export(List.of("stats:val"), false, row(1, T), row(2, T), row(3, T))).containsExactly(null, 2L, null);
    assertThat(export(List.of("other:val"), false, row(1, T))).containsExactly(9L);
  }

  @Test
  void asOfExcludesValuesCreatedLaterAndKeepsThoseWithoutCreatedTime() throws Exception {
    event("stats", 1, T - 2 * MIN, T - 2 * MIN, 1);
    event("stats", 1, T - MIN, T + 60 * MIN, 2);
    event("stats", 2, T - MIN, FeatureEvent.NO_CREATED_TIME, 5);
    Spine spine = Spine.builder().withColumn("driver_id", ValueType.INT64).withColumn("event_timestamp", ValueType.TIMESTAMP)
        .addRow(1L, Timestamps.fromMicros(T)).addRow(2L, Timestamps.fromMicros(T)).build();
    Path out = dir.resolve("asof.parquet");
    TrainingSetExport.builder(reg).withStore(store).withSpine(spine).withFeatures(List.of("stats:val"))
        .withAsOf(Timestamps.fromMicros(T)).withOutput(out).withProgressBar(false).build().run();
    Table t = ParquetIo.read(out, List.of("val"), Arrays.asList((ValueType) null));
    assertThat(t.column("val").value(0)).isEqualTo(1L);
    assertThat(t.column("val").value(1)).isEqualTo(5L);
  }

  @Test
  void sameFeatureNameInTwoViewsIsAnErrorNamingBothRefsUnlessFullNames() throws Exception {
    event("stats", 1, T - MIN, T, 1);
    event("other", 1, T - MIN, T, 2);
    assertThatThrownBy(() -> export(List.of("stats:val", "other:val"), false, row(1, T)))
        .isInstanceOf(UserInputException.class)
        .hasMessageContaining("stats@v1:val").hasMessageContaining("other@v1:val");
    Spine spine = Spine.builder().withColumn("driver_id", ValueType.INT64).withColumn("event_timestamp", ValueType.TIMESTAMP)
        .addRow(1L, Timestamps.fromMicros(T)).build();
    ExportResult r = TrainingSetExport.builder(reg).withStore(store).withSpine(spine)
        .withFeatures(List.of("stats:val", "other:val", "other:extra")).withFullFeatureNames(true)
        .withOutput(dir.resolve("full.parquet")).withProgressBar(false).build().run();
    assertThat(r.columns()).containsExactly("driver_id", "event_timestamp", "stats__val", "other__val", "other__extra");
    Table t = ParquetIo.read(r.output(), List.of("stats__val", "other__val", "other__extra"),
        Arrays.asList(null, null, null));
    assertThat(t.column("stats__val").value(0)).isEqualTo(1L);
    assertThat(t.column("other__val").value(0)).isEqualTo(2L);
    assertThat(t.column("other__extra").value(0)).isEqualTo("x2");
  }

  @Test
  void featureNamedLikeASpineColumnIsAnError() {
    Spine spine = Spine.builder().withColumn("driver_id", ValueType.INT64).withColumn("event_timestamp", ValueType.TIMESTAMP)
        .withColumn("val", ValueType.INT64).addRow(1L, Timestamps.fromMicros(T), 3L).build();
    assertThatThrownBy(() -> TrainingSetExport.builder(reg).withStore(store).withSpine(spine)
        .withFeatures(List.of("stats:val")).withOutput(dir.resolve("x.parquet")).withProgressBar(false).build().run())
        .isInstanceOf(UserInputException.class)
        .hasMessageContaining("val").hasMessageContaining("spine");
  }

  @Test
  void unknownRefsAreUserErrorsNamingTheRef() {
    Spine spine = Spine.builder().withColumn("driver_id", ValueType.INT64).withColumn("event_timestamp", ValueType.TIMESTAMP)
        .addRow(1L, Timestamps.fromMicros(T)).build();
    assertThatThrownBy(() -> TrainingSetExport.builder(reg).withStore(store).withSpine(spine)
        .withFeatures(List.of("stats:nope")).withOutput(dir.resolve("x.parquet")).build().run())
        .isInstanceOf(UserInputException.class).hasMessageContaining("stats:nope");
    assertThatThrownBy(() -> TrainingSetExport.builder(reg).withStore(store).withSpine(spine)
        .withFeatures(List.of("missing_view:val")).withOutput(dir.resolve("x.parquet")).build().run())
        .isInstanceOf(UserInputException.class).hasMessageContaining("missing_view");
  }

  @Test
  void arrowSpineGivesTheSameResultAsRows() throws Exception {
    event("stats", 1, T - MIN, T, 11);
    event("stats", 2, T - 2 * MIN, T, 12);
    try (org.apache.arrow.memory.RootAllocator alloc = new org.apache.arrow.memory.RootAllocator();
         org.apache.arrow.vector.BigIntVector ids = new org.apache.arrow.vector.BigIntVector("driver_id", alloc);
         org.apache.arrow.vector.TimeStampMilliTZVector ts =
             new org.apache.arrow.vector.TimeStampMilliTZVector("event_timestamp", alloc, "UTC")) {
      ids.allocateNew(3);
      ts.allocateNew(3);
      ids.set(0, 1);
      ids.set(1, 2);
      ids.setNull(2);
      ts.set(0, T / 1000);
      ts.set(1, (T - 3 * MIN) / 1000);
      ts.set(2, T / 1000);
      ids.setValueCount(3);
      ts.setValueCount(3);
      org.apache.arrow.vector.VectorSchemaRoot root = org.apache.arrow.vector.VectorSchemaRoot.of(ids, ts);
      Path out = dir.resolve("arrow-spine.parquet");
      TrainingSetExport.builder(reg).withStore(store).withSpine(Spine.fromArrow(root)).withFeatures(List.of("stats:val"))
          .withOutput(out).withProgressBar(false).build().run();
      Table t = ParquetIo.read(out, List.of("driver_id", "val"), Arrays.asList(null, null));
      assertThat(t.column("val").value(0)).isEqualTo(11L);
      assertThat(t.column("val").value(1)).isNull(); // the only event of driver 2 is after t
      assertThat(t.column("driver_id").value(2)).isNull();
      assertThat(t.column("val").value(2)).isNull();
    }
  }
}
