package dev.quiver.benchmarks.materializer;

import dev.quiver.materializer.Materializer;
import dev.quiver.materializer.MaterializerConfig;
import dev.quiver.offline.OfflineStore;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.RegistrySnapshot;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The materializer process of {@link MaterializerSoak}: {@code bootstrap workDir partitions drain}.
 * With {@code drain=true} it exits 0 once both stores reached the end of every partition.
 */
public final class SoakChild {
  static final String GROUP = "soak";

  private SoakChild() {}

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    Path work = Path.of(args[1]);
    int partitions = Integer.parseInt(args[2]);
    boolean drain = Boolean.parseBoolean(args[3]);
    RegistrySnapshot reg = BenchViews.registry();
    try (OnlineStore online = OnlineStore.open(work.resolve("online"), reg);
         OfflineStore offline = OfflineStore.open(work.resolve("offline"), reg)) {
      Materializer m = Materializer.create(MaterializerConfig.builder()
          .withBootstrapServers(bootstrap).withGroupId(GROUP).withRegistry(reg)
          .withOnlineSink(online).withOfflineSink(offline)
          .withFlushSize(20_000).withFlushAge(Duration.ofSeconds(1))
          .withConsumerProperty("group.instance.id", "soak-child")
          .withConsumerProperty("session.timeout.ms", "10000")
          .build()).start();
      System.out.println("started");
      if (!drain) {
        long last = -1;
        while (m.isRunning()) {
          long at = BenchViews.position(online, offline, GROUP, partitions);
          if (at != last) {
            System.out.println("progress " + at);
            last = at;
          }
          Thread.sleep(200);
        }
        System.exit(3);
      }
      var ends = BenchViews.endOffsets(bootstrap, BenchViews.TOPIC, partitions);
      while (m.isRunning() && !BenchViews.drained(online, offline, GROUP, ends)) {
        Thread.sleep(200);
      }
      m.shutdown();
      System.out.println("drained; failure=" + m.failure());
      System.exit(m.failure().isPresent() ? 3 : 0);
    }
  }
}
