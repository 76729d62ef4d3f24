package dev.quiver.materializer;

import static dev.quiver.materializer.Fixtures.apply;
import static dev.quiver.materializer.Fixtures.defs;
import static dev.quiver.materializer.Fixtures.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.online.OnlineStore;
import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.online.OnlineFeatures;
import dev.quiver.registry.RegistrySnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A materializer killed with SIGKILL and restarted with the same instance id (static membership)
 * takes its partitions back at once: a record produced after the restart is stored long before the
 * dead member's session (here 5 minutes) could have timed out. With dynamic membership the new
 * member's join waits for the dead one until its session or the rebalance timeout expires.
 */
class MaterializerRestartTest {
  /** The dead member's session: what a restart without static membership waits for. */
  static final int SESSION_TIMEOUT_MS = 300_000;

  @TempDir
  Path dir;

  @Test
  void shouldStoreARecordProducedAfterASigkillRestartWithoutWaitingForTheDeadSession() throws Exception {
    String view = "restart";
    RegistrySnapshot reg = apply(RegistrySnapshot.empty(), defs(view));
    FeatureViewVersion v1 = reg.currentVersion(view);
    Path online = dir.resolve("online");
    Path offline = dir.resolve("offline");
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().withDataDir(dir.resolve("kafka")).build().start();
         FeatureProducer producer = FeatureProducer.builder().withBootstrapServers(kafka.bootstrapServers())
             .withRegistry(reg).build()) {
      kafka.createTopic(Fixtures.topic(view), 3);
      Process first = startChild(kafka, online, offline, view, false, -1, 1);
      producer.send(v1, row(1, 10), Fixtures.created(1)).get(30, TimeUnit.SECONDS);
      awaitLog(1, "Wrote 1 events");
      first.destroyForcibly();
      assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(first.exitValue()).as("killed by SIGKILL").isEqualTo(137);

      // The successor exits once its stores hold both records; the second is produced after it started.
      Process second = startChild(kafka, online, offline, view, true, 2, 2);
      boolean done;
      try {
        producer.send(v1, row(2, 10), Fixtures.created(2)).get(30, TimeUnit.SECONDS);
        done = second.waitFor(SESSION_TIMEOUT_MS / 3, TimeUnit.MILLISECONDS);
      } finally {
        second.destroyForcibly();
      }
      assertThat(done).as("stored within a third of the dead member's session timeout; see %s", log(2)).isTrue();
      assertThat(second.exitValue()).as("exit, see %s", Files.readString(log(2))).isZero();
      assertThat(Files.readString(log(2))).contains("owns quiver.restart-").contains("stored 2 records");
    }
    try (OnlineStore on = OnlineStore.open(online, reg)) {
      OnlineFeatures got = on.get(List.of(view + ":trips"), Map.of("driver_id", List.of(1L, 2L)),
          Fixtures.BASE.plusSeconds(3_600));
      assertThat(got.value(0, 0).value()).isEqualTo(1L);
      assertThat(got.value(1, 0).value()).isEqualTo(2L);
    }
  }

  private void awaitLog(int n, String text) throws Exception {
    long deadline = System.currentTimeMillis() + 90_000;
    while (System.currentTimeMillis() < deadline) {
      if (Files.exists(log(n)) && Files.readString(log(n)).contains(text)) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("child " + n + " did not log \"" + text + "\" in 90 s: " + Files.readString(log(n)));
  }

  private Path log(int n) {
    return dir.resolve("child-" + n + ".log");
  }

  private Process startChild(EmbeddedKafka kafka, Path online, Path offline, String view, boolean drain, long expect,
                             int n) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String instanceId = System.getProperty("quiver.test.instance-id", "restart-child");
    return new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        MaterializerChild.class.getName(), kafka.bootstrapServers(), "restart-group", online.toString(),
        offline.toString(), view, "3", String.valueOf(drain), "v1", instanceId, String.valueOf(SESSION_TIMEOUT_MS),
        String.valueOf(expect))
        .redirectErrorStream(true).redirectOutput(log(n).toFile()).start();
  }
}
