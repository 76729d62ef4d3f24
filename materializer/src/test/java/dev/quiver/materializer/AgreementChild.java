package dev.quiver.materializer;

import dev.quiver.offline.OfflineStore;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.LocalFileRegistryStore;
import dev.quiver.registry.RegistrySnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * A materializer in a JVM of its own for {@link OnlineOfflineAgreementTest}, reading its
 * definitions from a registry file that the test changes while it runs:
 * {@code bootstrap registryFile onlineDir offlineDir group deadLetterTopic}. Runs until killed.
 */
public final class AgreementChild {
  private AgreementChild() {}

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    Path registryFile = Path.of(args[1]);
    FileRegistry registry = new FileRegistry(registryFile);
    try (OnlineStore online = OnlineStore.open(Path.of(args[2]), registry.get());
         OfflineStore offline = OfflineStore.open(Path.of(args[3]), registry)) {
      Materializer m = start(bootstrap, registry, online, offline, args[4], args[5]);
      Runtime.getRuntime().addShutdownHook(new Thread(m::shutdown));
      while (m.isRunning()) {
        Thread.sleep(200);
      }
      System.out.println("stopped; failure=" + m.failure());
      System.exit(m.failure().isPresent() ? 3 : 0);
    }
  }

  static Materializer start(String bootstrap, FileRegistry registry, OnlineStore online,
                            OfflineStore offline, String group, String deadLetterTopic) {
    return Materializer.create(MaterializerConfig.builder()
        .withBootstrapServers(bootstrap)
        .withGroupId(group)
        .withRegistry(registry)
        .withFreshRegistry(((FileRegistry) registry)::fresh)
        .withOnlineSink(online)
        .withOfflineSink(offline)
        .withOnRegistryChange(online::useRegistry)
        .withDeadLetterTopic(deadLetterTopic)
        .withMaxFutureSkew(OnlineOfflineAgreementTest.SKEW)
        .withFlushSize(500)
        .withFlushAge(Duration.ofMillis(300))
        .withConsumerProperty("session.timeout.ms", "10000")
        .build()).start();
  }

  /** The registry file's latest snapshot, read again whenever the file changed. */
  static final class FileRegistry implements Supplier<RegistrySnapshot> {
    private final LocalFileRegistryStore store;
    private FileTime seen;
    private RegistrySnapshot snapshot;

    FileRegistry(Path file) {
      this.store = new LocalFileRegistryStore(file);
    }

    /** Reads the file now, whatever its time says. */
    synchronized RegistrySnapshot fresh() {
      snapshot = null;
      return get();
    }

    @Override
    public synchronized RegistrySnapshot get() {
      try {
        FileTime t = Files.getLastModifiedTime(store.file());
        if (snapshot == null || !t.equals(seen)) {
          snapshot = store.load();
          seen = t;
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return snapshot;
    }
  }
}
