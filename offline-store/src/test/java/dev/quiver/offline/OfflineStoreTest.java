package dev.quiver.offline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.offline.internal.ParquetIo;
import dev.quiver.offline.internal.Table;
import dev.quiver.registry.Examples;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.OffsetRange;
import dev.quiver.registry.QuiverException;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Timestamps;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OfflineStoreTest {
  static final String VIEW = "driver_hourly_stats";
  /** The view's Kafka topic: events appended without a topic, and version-1 ranges, belong to it. */
  static final String TOPIC = "quiver.driver_hourly_stats";
  static final RegistrySnapshot REG = RegistrySnapshot.of(Examples.driver());
  static final long DAY = 86_400_000_000L;
  static final long T0 = Timestamps.toMicros(Timestamps.parse("2024-05-01T10:00:00Z"));

  @TempDir
  Path dir;

  static FeatureEvent ev(long driver, long eventMicros, long created, int partition, long offset, Float conv) {
    return new FeatureEvent(VIEW, 1, List.of(driver), eventMicros, created, partition, offset,
        Arrays.asList(conv, 0.5f, 7L));
  }

  private static List<Path> parquetFiles(Path root) throws Exception {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> p.toString().endsWith(".parquet")).sorted().toList();
    }
  }

  @Test
  void aSecondOpenWhileAWriterHoldsTheStoreReadsCommittedDataAndDeletesNothing() throws Exception {
    try (OfflineStore writer = OfflineStore.open(dir, REG)) {
      writer.append(VIEW, List.of(ev(1, T0, T0, 0, 0, 0.1f)));
      // The writer is mid-flush: a data file is in place, its commit record not yet written.
      Path inFlight = parquetFiles(dir).get(0).resolveSibling("part-" + TOPIC + "-0-1-1.parquet");
      Files.copy(parquetFiles(dir).get(0), inFlight);
      try (OfflineStore reader = OfflineStore.open(dir, REG)) {
        assertThat(writer.isWriter()).isTrue();
        assertThat(reader.isWriter()).isFalse();
        assertThat(inFlight).exists();
        assertThat(reader.committedFiles(VIEW)).hasSize(1);
        assertThat(reader.committedRanges(VIEW, TOPIC, 0)).containsExactly(new OffsetRange(TOPIC, 0, 0, 0));
        assertThatThrownBy(() -> reader.append(VIEW, List.of(ev(2, T0, T0, 0, 5, 0.2f))))
            .hasMessageContaining("Cannot append to offline store")
            .hasMessageContaining("another process writes it");
      }
      try (OfflineStore readOnly = OfflineStore.openReadOnly(dir, () -> REG)) {
        assertThat(readOnly.isWriter()).isFalse();
        assertThat(inFlight).exists();
      }
    }
    // Once the writer is gone, the next writer repairs: the uncommitted file goes.
    try (OfflineStore next = OfflineStore.open(dir, REG)) {
      assertThat(next.isWriter()).isTrue();
      assertThat(parquetFiles(dir)).hasSize(1);
    }
  }

  @Test
  void appendWritesOneFilePerDateAndPartitionInTheDocumentedLayout() throws Exception {
    try (OfflineStore store = OfflineStore.open(dir, REG)) {
      store.append(VIEW, List.of(
          ev(1, T0, T0 + 5, 0, 10, 0.1f),
          ev(2, T0 + DAY, FeatureEvent.NO_CREATED_TIME, 0, 11, null),
          ev(3, T0, T0, 1, 4, 0.3f)));
    }
    List<String> names = parquetFiles(dir).stream().map(p -> dir.relativize(p).toString()).toList();
    assertThat(names).containsExactly(
        VIEW + "/v1/date=2024-05-01/part-" + TOPIC + "-0-10-10.parquet",
        VIEW + "/v1/date=2024-05-01/part-" + TOPIC + "-1-4-4.parquet",
        VIEW + "/v1/date=2024-05-02/part-" + TOPIC + "-0-11-11.parquet");
    Table t = ParquetIo.read(dir.resolve(names.get(2)),
        List.of("driver_id", "event_timestamp", "created_timestamp", "_partition", "_offset", "conv_rate", "avg_daily_trips"),
        Arrays.asList(null, null, null, null, null, null, null));
    assertThat(t.rows()).isEqualTo(1);
    assertThat(t.column("driver_id").value(0)).isEqualTo(2L);
    assertThat(t.column("event_timestamp").getLong(0)).isEqualTo(T0 + DAY);
    assertThat(t.column("created_timestamp").value(0)).isNull();
    assertThat(t.column("_offset").value(0)).isEqualTo(11L);
    assertThat(t.column("conv_rate").value(0)).isNull();
    assertThat(t.column("avg_daily_trips").value(0)).isEqualTo(7L);
  }

  @Test
  void committedRangesSurviveReopenAndMergeAdjacentAppends() {
    try (OfflineStore store = OfflineStore.open(dir, REG)) {
      store.append(VIEW, List.of(ev(1, T0, T0, 0, 0, 1f), ev(1, T0, T0, 0, 1, 1f), ev(1, T0, T0, 2, 50, 1f)));
      store.append(VIEW, List.of(ev(1, T0, T0, 0, 2, 1f), ev(1, T0, T0, 0, 3, 1f)));
      store.append(VIEW, List.of(ev(1, T0, T0, 0, 10, 1f)));
    }
    try (OfflineStore store = OfflineStore.open(dir, REG)) {
      assertThat(store.committedRanges(VIEW, TOPIC, 0)).containsExactly(new OffsetRange(TOPIC, 0, 0, 3), new OffsetRange(TOPIC, 0, 10, 10));
      assertThat(store.committedRanges(VIEW, TOPIC, 2)).containsExactly(new OffsetRange(TOPIC, 2, 50, 50));
      assertThat(store.committedRanges(VIEW, TOPIC, 1)).isEmpty();
      assertThat(store.committedRanges("other_view", TOPIC, 0)).isEmpty();
      assertThat(store.committedFiles(VIEW)).hasSize(4);
    }
  }

  @Test
  void reAppendingCommittedOffsetsWritesNoDuplicates() throws Exception {
    try (OfflineStore store = OfflineStore.open(dir, REG)) {
      store.append(VIEW, List.of(ev(1, T0, T0, 0, 0, 1f), ev(1, T0, T0, 0, 1, 1f)));
    }
    try (OfflineStore store = OfflineStore.open(dir, REG)) {
      store.append(VIEW, List.of(ev(1, T0, T0, 0, 0, 1f), ev(1, T0, T0, 0, 1, 1f), ev(1, T0, T0, 0, 2, 1f)));
      assertThat(store.committedRanges(VIEW, TOPIC, 0)).containsExactly(new OffsetRange(TOPIC, 0, 0, 2));
      long rows = store.committedFiles(VIEW).stream().mapToLong(CommittedFile::rows).sum();
      assertThat(rows).isEqualTo(3);
    }
    assertThat(parquetFiles(dir)).hasSize(2);
  }

  @Test
  void openRemovesTempFilesAndFilesNoCommitRecordNames() throws Exception {
    try (OfflineStore store = OfflineStore.open(dir, REG)) {
      store.append(VIEW, List.of(ev(1, T0, T0, 0, 0, 1f)));
    }
    Path date = dir.resolve(VIEW).resolve("v1").resolve("date=2024-05-01");
    Path committed = date.resolve("part-" + TOPIC + "-0-0-0.parquet");
    // a crash after renaming a data file but before its commit record, and one mid-write
    Path orphan = date.resolve("part-" + TOPIC + "-0-1-5.parquet");
    Files.copy(committed, orphan);
    Path tmp = date.resolve(".tmp-123.parquet");
    Files.writeString(tmp, "half");
    Path tmpCommit = dir.resolve(VIEW).resolve("_commits").resolve(".tmp-abc");
    Files.writeString(tmpCommit, "{");
    try (OfflineStore store = OfflineStore.open(dir, REG)) {
      assertThat(orphan).doesNotExist();
      assertThat(tmp).doesNotExist();
      assertThat(tmpCommit).doesNotExist();
      assertThat(committed).exists();
      assertThat(store.committedRanges(VIEW, TOPIC, 0)).containsExactly(new OffsetRange(TOPIC, 0, 0, 0));
      // the orphan's offsets were never committed, so they are written again
      store.append(VIEW, List.of(ev(1, T0, T0, 0, 1, 1f), ev(1, T0, T0, 0, 5, 1f)));
      assertThat(store.committedRanges(VIEW, TOPIC, 0)).containsExactly(new OffsetRange(TOPIC, 0, 0, 5));
    }
  }

  @Test
  void commitRecordMatchesTheGoldenFile() throws Exception {
    try (OfflineStore store = OfflineStore.open(dir, REG)) {
      store.append(VIEW, TOPIC, List.of(ev(1, T0, T0 + 1, 0, 0, 1f), ev(2, T0 + 1, T0 + 1, 0, 9, 1f),
          ev(3, T0 + DAY, FeatureEvent.NO_CREATED_TIME, 3, 100, 1f)), new java.util.TreeMap<>(java.util.Map.of(0, 12L, 3, 101L)));
    }
    String actual = Files.readString(dir.resolve(VIEW).resolve("_commits").resolve("00000000000000000001.json"));
    String golden = new String(getClass().getResourceAsStream("/golden/commit-v2.json").readAllBytes(),
        StandardCharsets.UTF_8);
    assertThat(actual).isEqualTo(golden);
  }

  @Test
  void goldenVersion1CommitRecordIsReadBackAsRangesOfTheViewsTopicAndCorruptOnesAreRejectedByName() throws Exception {
    Path commits = dir.resolve(VIEW).resolve("_commits");
    Files.createDirectories(commits);
    Files.write(commits.resolve("00000000000000000001.json"),
        getClass().getResourceAsStream("/golden/commit-v1.json").readAllBytes());
    Path data = dir.resolve(VIEW).resolve("v1/date=2024-05-01/part-0-0-9.parquet");
    Files.createDirectories(data.getParent());
    Files.writeString(data, "x");
    try (OfflineStore store = OfflineStore.open(dir, REG)) {
      assertThat(store.committedRanges(VIEW, TOPIC, 0)).containsExactly(new OffsetRange(TOPIC, 0, 0, 9));
      assertThat(store.committedRanges(VIEW, TOPIC, 3)).containsExactly(new OffsetRange(TOPIC, 3, 100, 100));
      assertThat(store.committedRanges(VIEW, "quiver.other", 0)).isEmpty();
      assertThat(store.position(VIEW, TOPIC, 0)).as("version 1 records no positions").isZero();
      assertThat(data).exists();
    }
    Path bad = commits.resolve("00000000000000000002.json");
    Files.write(bad, getClass().getResourceAsStream("/golden/commit-v99-corrupt.json").readAllBytes());
    assertThatThrownBy(() -> OfflineStore.open(dir, REG))
        .isInstanceOf(QuiverException.class)
        .hasMessageContaining("Cannot read commit record")
        .hasMessageContaining("00000000000000000002.json")
        .hasMessageContaining("formatVersion");
  }

  @Test
  void goldenVersion2CommitRecordIsReadBackAndOneWithoutPositionsIsRejectedByName() throws Exception {
    Path commits = dir.resolve(VIEW).resolve("_commits");
    Files.createDirectories(commits);
    String golden = new String(getClass().getResourceAsStream("/golden/commit-v2.json").readAllBytes(),
        StandardCharsets.UTF_8);
    Files.writeString(commits.resolve("00000000000000000001.json"), golden);
    try (OfflineStore store = OfflineStore.open(dir, REG)) {
      assertThat(store.committedRanges(VIEW, TOPIC, 0)).containsExactly(new OffsetRange(TOPIC, 0, 0, 9));
      assertThat(store.position(VIEW, TOPIC, 0)).isEqualTo(12);
      assertThat(store.position(VIEW, TOPIC, 3)).isEqualTo(101);
      assertThat(store.committedFiles(VIEW)).extracting(CommittedFile::rows).containsExactly(2L, 1L);
    }
    String noPositions = golden.replaceAll("(?s)\"positions\" : \\[.*?\\],\n  ", "");
    assertThat(noPositions).doesNotContain("positions");
    Files.writeString(commits.resolve("00000000000000000002.json"), noPositions.replace("\"sequence\" : 1", "\"sequence\" : 2"));
    assertThatThrownBy(() -> OfflineStore.open(dir, REG))
        .isInstanceOf(QuiverException.class)
        .hasMessageContaining("Cannot read commit record")
        .hasMessageContaining("00000000000000000002.json")
        .hasMessageContaining("missing field positions");
  }

  @Test
  void shouldKeepRangesPositionsAndFilesOfTwoTopicsApartWhenTheirOffsetsOverlap() throws Exception {
    String old = "quiver.old_topic";
    String next = "quiver.new_topic";
    try (OfflineStore store = OfflineStore.open(dir, REG)) {
      store.append(VIEW, old, List.of(ev(1, T0, T0, 0, 0, 1f), ev(2, T0, T0, 0, 1, 2f)), java.util.Map.of(0, 5L));
      // The view now reads another topic: its offsets 0..1 are new events, not duplicates.
      store.append(VIEW, next, List.of(ev(1, T0 + 1, T0, 0, 0, 3f), ev(2, T0 + 1, T0, 0, 1, 4f)), java.util.Map.of(0, 2L));
      assertThat(store.committedRanges(VIEW, next, 0)).containsExactly(new OffsetRange(next, 0, 0, 1));
      // Positions only: no file, no range; a lower position than committed is ignored.
      store.append(VIEW, next, List.of(), java.util.Map.of(0, 7L, 1, 3L));
      store.append(VIEW, next, List.of(), java.util.Map.of(0, 6L));
    }
    try (OfflineStore store = OfflineStore.open(dir, REG)) {
      assertThat(store.committedRanges(VIEW, old, 0)).containsExactly(new OffsetRange(old, 0, 0, 1));
      assertThat(store.committedRanges(VIEW, next, 0)).containsExactly(new OffsetRange(next, 0, 0, 1));
      assertThat(store.committedRanges(VIEW, next, 1)).isEmpty();
      assertThat(store.position(VIEW, old, 0)).isEqualTo(5);
      assertThat(store.position(VIEW, next, 0)).isEqualTo(7);
      assertThat(store.position(VIEW, next, 1)).isEqualTo(3);
      assertThat(store.position(VIEW, next, 2)).isZero();
      assertThat(store.position("other_view", next, 0)).isZero();
      assertThat(store.committedFiles(VIEW)).hasSize(2);
      assertThat(store.committedFiles(VIEW).stream().mapToLong(CommittedFile::rows).sum()).isEqualTo(4);
      assertThat(parquetFiles(dir)).extracting(f -> f.getFileName().toString())
          .containsExactly("part-" + next + "-0-0-1.parquet", "part-" + old + "-0-0-1.parquet");
    }
    // Three commit records: the two data appends and one of positions alone (the ignored one wrote none).
    try (Stream<Path> s = Files.list(dir.resolve(VIEW).resolve("_commits"))) {
      assertThat(s.count()).isEqualTo(3);
    }
  }

  @Test
  void appendRejectsEventsOfAnotherViewOrUnknownVersion() {
    try (OfflineStore store = OfflineStore.open(dir, REG)) {
      assertThatThrownBy(() -> store.append("other", List.of(ev(1, T0, T0, 0, 0, 1f))))
          .hasMessageContaining("Cannot append event of view " + VIEW + " to view other");
      FeatureEvent v9 = new FeatureEvent(VIEW, 9, List.of(1L), T0, T0, 0, 0, new ArrayList<>(Arrays.asList(1f, 1f, 1L)));
      assertThatThrownBy(() -> store.append(VIEW, List.of(v9))).hasMessageContaining(VIEW + "@v9");
      assertThat(store.committedRanges(VIEW, TOPIC, 0)).isEmpty();
    }
  }
}
