package dev.quiver.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalFileRegistryStoreTest extends RegistryStoreContract {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  @TempDir
  Path dir;

  @Override
  protected RegistryStore newStore() {
    return new LocalFileRegistryStore(dir.resolve("registry.json"));
  }

  @Test
  void shouldLoadTheEmptyRegistryWhenNoFileExists() {
    RegistrySnapshot s = new LocalFileRegistryStore(dir.resolve("nothing").resolve("registry.json")).load();

    assertThat(s.version()).isZero();
    assertThat(s.definitions().views()).isEmpty();
  }

  @Test
  void shouldNameTheFileAndBothVersionsInAConflict() {
    Path file = dir.resolve("registry.json");
    LocalFileRegistryStore a = new LocalFileRegistryStore(file);
    LocalFileRegistryStore b = new LocalFileRegistryStore(file);
    RegistrySnapshot base = b.load();
    a.commit(a.load().withDefinitions(Examples.driver(), T, "a"));

    assertThatThrownBy(() -> b.commit(base.withDefinitions(Examples.driver(), T, "b")))
        .isInstanceOf(RegistryConflictException.class)
        .hasMessage("Cannot commit registry version 1 to " + file.toAbsolutePath()
            + ": registry changed since it was read; re-run plan (it is at version 1, the change was planned "
            + "against version 0)");
  }

  @Test
  void shouldLoseNoUpdateWhenTwoProcessesCommitToOneFile() throws Exception {
    Path file = dir.resolve("registry.json");
    // 100 each: with fewer commits the two processes rarely overlap, and the test would pass even without
    // the file lock (checked by removing it: updates were lost at 100).
    int count = 100;
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
  void shouldLeaveOnlyTheRegistryAndItsLockFileBehindEvenAfterACrashedWriter() throws IOException {
    Path file = dir.resolve("state").resolve("registry.json");
    LocalFileRegistryStore store = new LocalFileRegistryStore(file);
    store.commit(RegistrySnapshot.empty().withDefinitions(Examples.driver(), T, "a"));
    Files.writeString(file.resolveSibling("registry.json.12345.tmp"), "half a registry from a writer that died");
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
