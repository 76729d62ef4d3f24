package dev.quiver.online;

import dev.quiver.registry.FeatureEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The child process of {@link CrashRecoveryTest}: writes batch after batch to a store and prints
 * {@code ACK <n>} once batch {@code n}'s write has returned, until it is killed.
 * Batch n writes drivers {@code n * 10 .. n * 10 + 9} with avg_daily_trips = n, and meta
 * {@code last_batch = n}.
 */
public final class CrashWriterMain {
  public static final int ENTITIES_PER_BATCH = 10;

  private CrashWriterMain() {}

  public static void main(String[] args) {
    OnlineStore store = OnlineStore.open(Path.of(args[0]), Fixtures.registry());
    for (long n = 0; ; n++) {
      List<FeatureEvent> batch = new ArrayList<>();
      for (int i = 0; i < ENTITIES_PER_BATCH; i++) {
        batch.add(Fixtures.driver(n * ENTITIES_PER_BATCH + i, Fixtures.T0, FeatureEvent.NO_CREATED_TIME, n,
            0.5f, 0.5f, n));
      }
      store.write(batch, Map.of("last_batch", Long.toString(n).getBytes(StandardCharsets.UTF_8)));
      System.out.println("ACK " + n);
      System.out.flush();
    }
  }
}
