package dev.quiver.registry;

import java.nio.file.Path;
import java.time.Instant;

/**
 * Test helper run in a separate JVM: commits {@code count} times to a registry file, re-reading
 * and retrying on every conflict, as a user re-running plan and apply would.
 * Arguments: registry file, writer name, count.
 */
public final class ConcurrentCommitter {
  private ConcurrentCommitter() {}

  public static void main(String[] args) {
    commit(Path.of(args[0]), args[1], Integer.parseInt(args[2]));
  }

  static void commit(Path file, String writer, int count) {
    LocalFileRegistryStore store = new LocalFileRegistryStore(file);
    for (int i = 0; i < count; ) {
      RegistrySnapshot base = store.load();
      Definitions next = RegistryPlanTest.with(v -> v.withDescription(writer));
      try {
        store.commit(base.withDefinitions(next, Instant.EPOCH, writer));
        i++;
      } catch (RegistryConflictException e) {
        // lost the race: re-read and try again
      }
    }
  }
}
