package dev.quiver.materializer;

import static dev.quiver.materializer.Fixtures.apply;
import static dev.quiver.materializer.Fixtures.created;
import static dev.quiver.materializer.Fixtures.defs;
import static dev.quiver.materializer.Fixtures.expected;
import static dev.quiver.materializer.Fixtures.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.offline.OfflineStore;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.registry.RegistrySnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults: a materializer in a child JVM is killed with SIGKILL four times while events stream in,
 * each time after it has written something, and the broker is stopped and restarted mid-stream; after a final run drains the topic, Parquet holds
 * every event exactly once and the online store holds the latest per entity. A reduced version of
 * the soak in {@code benchmarks/} (1M events, 10+ kills).
 */
class MaterializerCrashTest {
  static final int EVENTS = 50_000;
  static final int KILLS = 3;
  static final int PARTITIONS = 3;
  static final int CHUNK = 1_000;

  @TempDir
  Path dir;

  @Test
  void shouldHoldEveryEventExactlyOnceAfterRepeatedSigkillsAndABrokerRestart() throws Exception {
    String view = "crash";
    RegistrySnapshot reg = apply(RegistrySnapshot.empty(), defs(view));
    FeatureViewVersion v1 = reg.currentVersion(view);
    Path online = dir.resolve("online");
    Path offline = dir.resolve("offline");
    Random random = new Random(42);
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().withDataDir(dir.resolve("kafka")).build().start()) {
      kafka.createTopic(Fixtures.topic(view), PARTITIONS);
      List<CompletableFuture<FeatureEvent>> futures = new ArrayList<>();
      // The producer sends a chunk per permit; the test hands out permits phase by phase so that
      // events stream in while every child runs and is killed.
      Semaphore permits = new Semaphore(0);
      Thread producerThread = new Thread(() -> {
        try (FeatureProducer p = FeatureProducer.builder().withBootstrapServers(kafka.bootstrapServers())
            .withRegistry(reg).build()) {
          for (long i = 0; i < EVENTS; i++) {
            if (i % CHUNK == 0) {
              permits.acquire();
            }
            Map<String, Object> r = row(i, 1_000);
            Instant c = created(i);
            futures.add(p.send(v1, r, c).thenApply(s -> expected(view, v1, r, c, s.partition(), s.offset())));
          }
          p.flush();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "producer");
      producerThread.start();

      int chunks = EVENTS / CHUNK;
      int released = 0;
      Process child = startChild(kafka, online, offline, view, false, 0);
      for (int k = 0; k <= KILLS; k++) {
        int quota = k == KILLS ? chunks - released : chunks / (KILLS + 1);
        for (int j = 0; j < quota; j++) {
          permits.release();
          released++;
          Thread.sleep(150);
        }
        awaitProgress(k);
        Thread.sleep(300 + random.nextInt(1_500));
        if (k == KILLS) {
          break;
        }
        if (k == 1) {
          kafka.stop();
          Thread.sleep(1_000);
          kafka.start();
          Thread.sleep(2_000);
        }
        child.destroyForcibly();
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(137);
        child = startChild(kafka, online, offline, view, false, k + 1);
      }
      producerThread.join(120_000);
      List<FeatureEvent> sent = futures.stream().map(CompletableFuture::join).toList();
      assertThat(sent).hasSize(EVENTS);
      // A last SIGKILL mid-stream, then a child that drains the topic and exits.
      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

      Process drain = startChild(kafka, online, offline, view, true, 99);
      assertThat(drain.waitFor(180, TimeUnit.SECONDS)).as("drained in time, see " + log(99)).isTrue();
      assertThat(drain.exitValue()).as("drain exit, see " + Files.readString(log(99))).isZero();

      // Each restarted child resumed mid-stream from what its predecessor's stores held (the
      // online position at least: under load the predecessor may die before its first offline flush).
      // The drainer may find its predecessor already held everything and exit before it is
      // assigned anything; when it was assigned, it too must have resumed mid-stream.
      for (int k : new int[] {1, 2, 3, 99}) {
        String childLog = Files.readString(log(k));
        if (k == 99 && !childLog.contains(" owns ")) {
          continue;
        }
        assertThat(childLog).as("child %d resumed mid-stream", k)
            .containsPattern("owns quiver\\.crash-\\d from offset \\d+ \\(online next [1-9]");
      }
      try (OnlineStore on = OnlineStore.open(online, reg); OfflineStore off = OfflineStore.open(offline, reg)) {
        List<String> rows = Fixtures.offlineRows(off, view);
        assertThat(perPartition(rows)).isEqualTo(perPartition(Fixtures.rowsOf(sent, 1)));
        assertThat(rows).hasSize(EVENTS).doesNotHaveDuplicates()
            .containsExactlyInAnyOrderElementsOf(Fixtures.rowsOf(sent, 1));
        Fixtures.assertOnlineHoldsLatest(on, view, sent);
      }
    }
  }

  /** partition -> "count=N checksum=X" (the checksum sums a hash of every row). */
  static Map<Integer, String> perPartition(List<String> rows) {
    Map<Integer, long[]> acc = new TreeMap<>();
    for (String r : rows) {
      long[] a = acc.computeIfAbsent(Integer.parseInt(r.substring(0, r.indexOf('/'))), k -> new long[2]);
      a[0]++;
      a[1] += r.hashCode() * 0x9E3779B97F4A7C15L;
    }
    return acc.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
        e -> "count=" + e.getValue()[0] + " checksum=" + Long.toHexString(e.getValue()[1]), (a, b) -> a, TreeMap::new));
  }

  /** Waits until child n wrote to its stores (JVM start, joining and the first cold flush take a while). */
  private void awaitProgress(int n) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      if (Files.exists(log(n)) && Files.readString(log(n)).contains("Wrote ")) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("child " + n + " wrote nothing in 60 s: " + Files.readString(log(n)));
  }

  private Path log(int n) {
    return dir.resolve("child-" + n + ".log");
  }

  private Process startChild(EmbeddedKafka kafka, Path online, Path offline, String view, boolean drain, int n)
      throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-Xmx384m", "-cp", System.getProperty("java.class.path"),
        MaterializerChild.class.getName(), kafka.bootstrapServers(), "crash-group", online.toString(),
        offline.toString(), view, String.valueOf(PARTITIONS), String.valueOf(drain))
        .redirectErrorStream(true).redirectOutput(log(n).toFile()).start();
  }
}
