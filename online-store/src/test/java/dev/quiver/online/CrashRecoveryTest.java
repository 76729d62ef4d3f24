package dev.quiver.online;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A writer killed with SIGKILL loses no acknowledged batch, and the store reopens. */
class CrashRecoveryTest {
  @TempDir
  Path dir;

  @Test
  void shouldKeepEveryAcknowledgedBatchWhenTheWriterIsKilled() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        CrashWriterMain.class.getName(), dir.toString())
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    long lastAck = -1;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("ACK ")) {
          lastAck = Long.parseLong(line.substring(4));
          if (lastAck >= 300) {
            break;
          }
        }
      }
      // kill -9 while it is still writing: no close, no flush. (Destroying closes our end of
      // its stdout, so acknowledgements printed after the last line read are not counted.)
      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(137);
    } finally {
      child.destroyForcibly();
    }
    assertThat(lastAck).as("batches acknowledged before the kill").isGreaterThanOrEqualTo(300);

    try (OnlineStore store = OnlineStore.open(dir, Fixtures.registry())) {
      long lastStored = Long.parseLong(new String(store.readMeta("last_batch").orElseThrow(), StandardCharsets.UTF_8));
      assertThat(lastStored).isGreaterThanOrEqualTo(lastAck);
      List<Object> ids = new ArrayList<>();
      for (long id = 0; id < (lastAck + 1) * CrashWriterMain.ENTITIES_PER_BATCH; id++) {
        ids.add(id);
      }
      OnlineFeatures r = store.get(List.of(Fixtures.DRIVER_VIEW + ":avg_daily_trips"), Map.of("driver_id", ids),
          Fixtures.T0);
      for (int i = 0; i < ids.size(); i++) {
        assertThat(r.value(i, 0).value()).as("driver %s", ids.get(i)).isEqualTo(i / (long) CrashWriterMain.ENTITIES_PER_BATCH);
      }
    }
  }
}
