package dev.quiver.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalFileRegistryStoreTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  @TempDir
  Path dir;

  @Test
  void shouldLoadTheEmptyRegistryWhenNoFileExists() {
    RegistrySnapshot s = new LocalFileRegistryStore(dir.resolve("nothing").resolve("registry.json")).load();

    assertThat(s.version()).isZero();
    assertThat(s.definitions().views()).isEmpty();
  }

  @Test
  void shouldLetOnlyOneOfTwoStoresOnOneFileCommitOnTheSameBase() {
    Path file = dir.resolve("registry.json");
    LocalFileRegistryStore a = new LocalFileRegistryStore(file);
    LocalFileRegistryStore b = new LocalFileRegistryStore(file);
    RegistrySnapshot baseA = a.load();
    RegistrySnapshot baseB = b.load();

    a.commit(baseA.withDefinitions(Examples.driver(), T, "a"));

    RegistrySnapshot fromB = baseB.withDefinitions(
        RegistryPlanTest.with(v -> v.withTtl(Duration.ofHours(9))), T, "b");
    assertThatThrownBy(() -> b.commit(fromB))
        .isInstanceOf(RegistryConflictException.class)
        .hasMessage("Cannot commit registry version 1 to " + file.toAbsolutePath()
            + ": registry changed since it was read; re-run plan (it is at version 1, the change was planned "
            + "against version 0)");
    RegistrySnapshot stored = b.load();
    assertThat(stored.history()).extracting(HistoryEntry::summary).containsExactly("a");
    assertThat(stored.view("driver_hourly_stats").ttl()).isEqualTo(Duration.ofHours(2));
  }

  @Test
  void shouldLoseNoUpdateWhenManyStoresCommitConcurrently() throws Exception {
    Path file = dir.resolve("registry.json");
    int writers = 4;
    int commitsEach = 10;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int id = w;
        results.add(pool.submit(() -> {
          LocalFileRegistryStore store = new LocalFileRegistryStore(file);
          int conflicts = 0;
          for (int i = 0; i < commitsEach; ) {
            RegistrySnapshot base = store.load();
            Definitions next = RegistryPlanTest.with(v -> v.withDescription("writer " + id));
            try {
              store.commit(base.withDefinitions(next, T, "writer " + id));
              i++;
            } catch (RegistryConflictException e) {
              conflicts++;
            }
          }
          return conflicts;
        }));
      }
      for (Future<Integer> f : results) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }

    RegistrySnapshot s = new LocalFileRegistryStore(file).load();
    assertThat(s.version()).isEqualTo(writers * commitsEach);
    assertThat(s.history()).extracting(HistoryEntry::registryVersion)
        .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, writers * commitsEach).boxed().toList());
    for (int w = 0; w < writers; w++) {
      String summary = "writer " + w;
      assertThat(s.history()).filteredOn(h -> h.summary().equals(summary)).hasSize(commitsEach);
    }
  }

  @Test
  void shouldLoseNoUpdateWhenTwoProcessesCommitToOneFile() throws Exception {
    Path file = dir.resolve("registry.json");
    int count = 25;
    Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
    Process child = new ProcessBuilder(javaBin.toString(), "-cp", System.getProperty("java.class.path"),
        ConcurrentCommitter.class.getName(), file.toString(), "child", String.valueOf(count))
        .redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
    try {
      // Start once the child commits, so that both processes really write at the same time.
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
      while (!Files.exists(file) && child.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      ConcurrentCommitter.commit(file, "parent", count);
      assertThat(child.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).as("child finished").isTrue();
    } finally {
      child.destroyForcibly();
    }
    assertThat(child.exitValue()).as(Files.readString(dir.resolve("child.log"))).isZero();

    RegistrySnapshot s = new LocalFileRegistryStore(file).load();
    assertThat(s.version()).isEqualTo(2 * count);
    assertThat(s.history()).filteredOn(h -> h.summary().equals("parent")).hasSize(count);
    assertThat(s.history()).filteredOn(h -> h.summary().equals("child")).hasSize(count);
  }

  @Test
  void shouldReportACorruptFileNamingItInsteadOfAnEmptyRegistry() throws IOException {
    Path file = dir.resolve("registry.json");
    LocalFileRegistryStore store = new LocalFileRegistryStore(file);
    store.commit(RegistrySnapshot.empty().withDefinitions(Examples.driver(), T, "a"));
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length - 20] ^= 0x01;
    Files.write(file, bytes);

    assertThatThrownBy(store::load)
        .isInstanceOf(CorruptRegistryException.class)
        .hasMessage("Cannot read registry " + file.toAbsolutePath() + ": checksum mismatch (the content was altered "
            + "or damaged)");
    assertThatThrownBy(() -> store.commit(RegistrySnapshot.empty().withDefinitions(Examples.driver(), T, "b")))
        .isInstanceOf(CorruptRegistryException.class);
  }

  @Test
  void shouldReportATruncatedFile() throws IOException {
    Path file = dir.resolve("registry.json");
    Files.write(file, RegistryCodecGoldenTest.golden("truncated.registry"));

    assertThatThrownBy(() -> new LocalFileRegistryStore(file).load())
        .isInstanceOf(CorruptRegistryException.class)
        .hasMessageStartingWith("Cannot read registry " + file.toAbsolutePath() + ": truncated");
  }

  @Test
  void shouldReadTheGoldenFileFromDisk() throws IOException {
    Path file = dir.resolve("registry.json");
    Files.write(file, RegistryCodecGoldenTest.golden("valid-v1.registry"));

    assertThat(new LocalFileRegistryStore(file).load().versions("driver_hourly_stats")).hasSize(2);
  }

  @Test
  void shouldLeaveOnlyTheRegistryAndItsLockFileBehind() throws IOException {
    Path file = dir.resolve("state").resolve("registry.json");
    LocalFileRegistryStore store = new LocalFileRegistryStore(file);
    store.commit(RegistrySnapshot.empty().withDefinitions(Examples.driver(), T, "a"));
    store.commit(store.load().withDefinitions(RegistryPlanTest.with(v -> v.withOwner("x")), T, "b"));

    try (Stream<Path> files = Files.list(file.getParent())) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("registry.json", "registry.json.lock");
    }
    assertThat(store.load().version()).isEqualTo(2);
  }

  @Test
  void shouldPutTheRegistryOfARepoUnderDotQuiver() {
    assertThat(LocalFileRegistryStore.forRepo(dir).file())
        .isEqualTo(dir.toAbsolutePath().resolve(".quiver").resolve("registry.json"));
  }
}
