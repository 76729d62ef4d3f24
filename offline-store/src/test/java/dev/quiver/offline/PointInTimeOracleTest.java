package dev.quiver.offline;

import static dev.quiver.offline.PitFixtures.HOUR;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Timestamps;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The export against DuckDB on the same files: randomized histories (equal event times with
 * different created times, full ties, events at exactly t - ttl and after t, entities without
 * history), three views with different entities and TTLs, one of them read from Parquet source
 * files; every cell of every row compared.
 */
class PointInTimeOracleTest {
  @TempDir
  Path dir;

  private List<DuckDbOracle.ViewSql> views(Path storeRoot, Path repo) {
    return List.of(
        DuckDbOracle.storeView(storeRoot, "driver_stats", "driver_id", 2 * HOUR, List.of("conv_rate", "trips", "city")),
        DuckDbOracle.storeView(storeRoot, "customer_profile", "customer_id", 24 * HOUR, List.of("score", "active")),
        DuckDbOracle.sourceView(repo.resolve("data/lifetime").toString() + "/*.parquet", "driver_lifetime",
            "driver_id", "ts", "created", 0, List.of("total")));
  }

  private void compare(Path storeRoot, Path repo, Path spine, Path out, Long asOf) throws Exception {
    try (DuckDbOracle duck = new DuckDbOracle()) {
      List<List<Object>> expected = duck.expected(spine, "event_timestamp", views(storeRoot, repo), asOf);
      List<List<Object>> actual = duck.parquetRows(out);
      assertThat(duck.parquetColumns(out)).containsExactly("driver_id", "customer_id", "event_timestamp", "label",
          "note", "conv_rate", "trips", "city", "score", "active", "total");
      assertThat(actual).hasSameSizeAs(expected);
      int nonNull = 0;
      for (int i = 0; i < expected.size(); i++) {
        assertThat(actual.get(i)).as("row %d", i).isEqualTo(expected.get(i));
        if (expected.get(i).get(6) != null) {
          nonNull++;
        }
      }
      // the data must exercise both outcomes
      assertThat(nonNull).isBetween(expected.size() / 10, expected.size() - expected.size() / 20);
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void everyCellMatchesDuckDbWindowQuery(long seed) throws Exception {
    Random r = new Random(seed);
    RegistrySnapshot reg = PitFixtures.registry();
    Path root = dir.resolve("store");
    Path repo = dir.resolve("repo");
    int drivers = 2000;
    int customers = 1500;
    try (OfflineStore store = OfflineStore.open(root, reg)) {
      PitFixtures.fillStore(store, r, drivers, customers, 12, 4);
      PitFixtures.writeLifetimeFiles(repo, r, drivers, 4);
      Path spine = PitFixtures.writeSpine(dir.resolve("spine.parquet"), r, 6000, drivers, customers, 4);
      Path out = dir.resolve("train.parquet");
      ExportResult res = TrainingSetExport.builder(reg).withStore(store).withRepoDir(repo).withSpine(spine)
          .withFeatures(PitFixtures.ALL_REFS).withOutput(out).withProgressBar(false).build().run();
      assertThat(res.rows()).isEqualTo(6000);
      compare(root, repo, spine, out, null);
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {7})
  void asOfMatchesDuckDbWithCreatedTimeFilter(long seed) throws Exception {
    Random r = new Random(seed);
    RegistrySnapshot reg = PitFixtures.registry();
    Path root = dir.resolve("store");
    Path repo = dir.resolve("repo");
    try (OfflineStore store = OfflineStore.open(root, reg)) {
      PitFixtures.fillStore(store, r, 1000, 800, 12, 3);
      PitFixtures.writeLifetimeFiles(repo, r, 1000, 3);
      Path spine = PitFixtures.writeSpine(dir.resolve("spine.parquet"), r, 4000, 1000, 800, 3);
      long asOf = PitFixtures.BASE + 36 * HOUR;
      Path out = dir.resolve("train.parquet");
      TrainingSetExport.builder(reg).withStore(store).withRepoDir(repo).withSpine(spine)
          .withFeatures(PitFixtures.ALL_REFS).withOutput(out).withAsOf(Timestamps.fromMicros(asOf))
          .withProgressBar(false).build().run();
      compare(root, repo, spine, out, asOf);
    }
  }

  private ExportResult export(RegistrySnapshot reg, OfflineStore store, Path repo, Path spine, Path out,
                              ExportFormat format, long budget, ProgressListener progress) {
    TrainingSetExport.Builder b = TrainingSetExport.builder(reg).withStore(store).withRepoDir(repo).withSpine(spine)
        .withFeatures(PitFixtures.ALL_REFS).withOutput(out).withFormat(format).withTempDir(dir)
        .withProgress(progress).withProgressBar(false);
    if (budget > 0) {
      b.withMemoryBudget(budget);
    }
    return b.build().run();
  }

  private static long countSpineSpillFiles(Path dir) {
    try (var s = java.nio.file.Files.walk(dir)) {
      return s.filter(p -> p.getParent() != null && p.getParent().getFileName().toString().startsWith(".quiver-spill-"))
          .filter(p -> p.getFileName().toString().matches("s\\d+-\\d+\\.parquet")).count();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private void assertNoSpillLeft() throws Exception {
    try (var s = java.nio.file.Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".quiver-spill-"));
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {11})
  void historyLargerThanBudgetSpillsWhileTheSpineStaysInMemory(long seed) throws Exception {
    Random r = new Random(seed);
    RegistrySnapshot reg = PitFixtures.registry();
    Path root = dir.resolve("store");
    Path repo = dir.resolve("repo");
    try (OfflineStore store = OfflineStore.open(root, reg)) {
      PitFixtures.fillStore(store, r, 1500, 1000, 10, 3);
      PitFixtures.writeLifetimeFiles(repo, r, 1500, 3);
      // about 0.6 MB of spine (fits 1 MiB) against about 2.4 MB of driver_stats candidates (does not)
      Path spine = PitFixtures.writeSpine(dir.resolve("spine.parquet"), r, 5000, 1500, 1000, 3);
      Path inMemory = dir.resolve("mem.parquet");
      Path spilled = dir.resolve("spill.parquet");
      ExportResult a = export(reg, store, repo, spine, inMemory, ExportFormat.PARQUET, 0, ProgressListener.NONE);
      List<String> stages = new java.util.ArrayList<>();
      ExportResult b = export(reg, store, repo, spine, spilled, ExportFormat.PARQUET, 1 << 20,
          (stage, done, total) -> stages.add(stage));
      assertThat(b.outputSha256()).isEqualTo(a.outputSha256());
      assertThat(java.nio.file.Files.readAllBytes(spilled)).isEqualTo(java.nio.file.Files.readAllBytes(inMemory));
      assertThat(stages).contains("read spine", "read driver_stats", "join driver_stats", "write output")
          .doesNotContain("partition spine");
      assertNoSpillLeft();
      compare(root, repo, spine, spilled, null);
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {11, 12})
  void spineLargerThanBudgetIsPartitionedAndGivesByteIdenticalOutput(long seed) throws Exception {
    Random r = new Random(seed);
    RegistrySnapshot reg = PitFixtures.registry();
    Path root = dir.resolve("store");
    Path repo = dir.resolve("repo");
    try (OfflineStore store = OfflineStore.open(root, reg)) {
      PitFixtures.fillStore(store, r, 1500, 1000, 10, 3);
      PitFixtures.writeLifetimeFiles(repo, r, 1500, 3);
      // about 2.5 MB of spine on the heap against a 64 KiB budget; three views, two entities
      Path spine = PitFixtures.writeSpine(dir.resolve("spine.parquet"), r, 20_000, 1500, 1000, 3);
      Path inMemory = dir.resolve("mem.parquet");
      Path spilled = dir.resolve("spill.parquet");
      ExportResult a = export(reg, store, repo, spine, inMemory, ExportFormat.PARQUET, 0, ProgressListener.NONE);
      List<String> stages = new java.util.ArrayList<>();
      long[] spineSpills = {0};
      ExportResult b = export(reg, store, repo, spine, spilled, ExportFormat.PARQUET, 64 * 1024,
          (stage, done, total) -> {
            stages.add(stage);
            if (stage.startsWith("join ") && done == 0) {
              spineSpills[0] = Math.max(spineSpills[0], countSpineSpillFiles(dir));
            }
          });
      assertThat(b.rows()).isEqualTo(20_000);
      assertThat(b.outputSha256()).isEqualTo(a.outputSha256());
      assertThat(java.nio.file.Files.readAllBytes(spilled)).isEqualTo(java.nio.file.Files.readAllBytes(inMemory));
      assertThat(stages).contains("read spine", "partition spine", "read driver_stats", "join driver_stats",
          "join customer_profile", "join driver_lifetime", "write output");
      // the spine was spilled: a file per partition for each of the two entities' key sets
      assertThat(spineSpills[0]).isGreaterThanOrEqualTo(4);
      assertNoSpillLeft();
      compare(root, repo, spine, spilled, null);
      // the replay of the partitioned export rebuilds the same bytes
      ExportResult m = TrainingSetExport.builder(reg).withStore(store).withRepoDir(repo).withSpine(spine)
          .withFeatures(PitFixtures.ALL_REFS).withOutput(dir.resolve("replayed.parquet")).withMemoryBudget(64 * 1024)
          .withTempDir(dir).withProgressBar(false).build().run();
      assertThat(TrainingSetExport.replay(m.manifest(), reg, store, repo, null).identical()).isTrue();
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {13})
  void partitionedCsvSpineGivesTheSameCsvAndArrowBytesAsInMemory(long seed) throws Exception {
    Random r = new Random(seed);
    RegistrySnapshot reg = PitFixtures.registry();
    Path root = dir.resolve("store");
    Path repo = dir.resolve("repo");
    try (OfflineStore store = OfflineStore.open(root, reg)) {
      PitFixtures.fillStore(store, r, 1000, 800, 8, 3);
      PitFixtures.writeLifetimeFiles(repo, r, 1000, 3);
      Path pq = PitFixtures.writeSpine(dir.resolve("spine.parquet"), r, 12_000, 1000, 800, 3);
      Path csvSpine = dir.resolve("spine.csv");
      dev.quiver.offline.internal.Table t = dev.quiver.offline.internal.ParquetIo.read(pq,
          List.of("driver_id", "customer_id", "event_timestamp", "label", "note"), java.util.Arrays.asList(null, null, null, null, null));
      try (var w = java.nio.file.Files.newBufferedWriter(csvSpine)) {
        dev.quiver.offline.internal.Csv.write(w, t);
      }
      for (Path spine : List.of(csvSpine, pq)) {
        for (ExportFormat f : List.of(ExportFormat.CSV, ExportFormat.ARROW)) {
          String ext = f == ExportFormat.CSV ? ".csv" : ".arrow";
          Path inMemory = dir.resolve("mem" + ext);
          Path spilled = dir.resolve("spill" + ext);
          ExportResult a = export(reg, store, repo, spine, inMemory, f, 0, ProgressListener.NONE);
          List<String> stages = new java.util.ArrayList<>();
          // a 64 KiB budget writes CSV in chunks of 1024 rows: the output is assembled from many chunks
          ExportResult b = export(reg, store, repo, spine, spilled, f, 64 * 1024, (stage, done, total) -> stages.add(stage));
          assertThat(stages).as("%s to %s", spine.getFileName(), f).contains("partition spine");
          assertThat(b.rows()).isEqualTo(12_000);
          assertThat(java.nio.file.Files.readAllBytes(spilled)).as("%s to %s", spine.getFileName(), f)
              .isEqualTo(java.nio.file.Files.readAllBytes(inMemory));
          assertThat(b.outputSha256()).isEqualTo(a.outputSha256());
        }
      }
      assertNoSpillLeft();
    }
  }
}
