package dev.quiver.materializer;

import dev.quiver.materializer.internal.Positions;
import dev.quiver.offline.OfflineStore;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.RegistrySnapshot;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * A materializer in a JVM of its own, for the crash and restart tests: {@code bootstrap group
 * onlineDir offlineDir view partitions drain [registry instanceId sessionTimeoutMs expectRecords]}.
 * With {@code drain=true} it exits 0 once both stores' positions (online next in the online meta,
 * the view's offline position in the offline store's commit records) reach the end of every
 * partition, after a clean shutdown; otherwise it runs until killed or halted at a crash point
 * (system properties of {@code CrashPoint}). The optional arguments: {@code registry} is {@code v1}
 * (default: the view as {@link Fixtures#defs}) or {@code v2} (then with the {@code acc_rate}
 * feature added, a second version); the static member id ({@code -} for dynamic membership;
 * default {@code child}); the session timeout (default 10 s); and, with drain, a record count to
 * wait for: exit once the stores' online positions add up to it (records produced after the start
 * count).
 */
public final class MaterializerChild {
  private MaterializerChild() {}

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String group = args[1];
    Path onlineDir = Path.of(args[2]);
    Path offlineDir = Path.of(args[3]);
    String view = args[4];
    int partitions = Integer.parseInt(args[5]);
    boolean drain = Boolean.parseBoolean(args[6]);
    RegistrySnapshot registry = registry(view, args.length > 7 ? args[7] : "v1");
    String instanceId = args.length > 8 ? args[8] : "child";
    String sessionTimeout = args.length > 9 ? args[9] : "10000";
    long expect = args.length > 10 ? Long.parseLong(args[10]) : -1;
    try (OnlineStore online = OnlineStore.open(onlineDir, registry);
         OfflineStore offline = OfflineStore.open(offlineDir, registry)) {
      Materializer m = Materializer.create(MaterializerConfig.builder()
          .withBootstrapServers(bootstrap)
          .withGroupId(group)
          .withRegistry(registry)
          .withOnlineSink(online)
          .withOfflineSink(offline)
          .withFlushSize(3_000)
          .withFlushAge(Duration.ofMillis(400))
          .withInstanceId(instanceId.equals("-") ? null : instanceId)
          .withConsumerProperty("session.timeout.ms", sessionTimeout)
          .build()).start();
      if (!drain) {
        Runtime.getRuntime().addShutdownHook(new Thread(m::shutdown));
        while (m.isRunning()) {
          Thread.sleep(200);
        }
        System.exit(m.failure().isPresent() ? 3 : 0);
      }
      Properties p = new Properties();
      p.put("bootstrap.servers", bootstrap);
      try (Admin admin = Admin.create(p)) {
        String topic = Fixtures.topic(view);
        Map<TopicPartition, OffsetSpec> req = new java.util.HashMap<>();
        for (int i = 0; i < partitions; i++) {
          req.put(new TopicPartition(topic, i), OffsetSpec.latest());
        }
        var ends = admin.listOffsets(req).all().get();
        while (m.isRunning() && expect >= 0) {
          long stored = 0;
          for (int i = 0; i < partitions; i++) {
            String key = Positions.metaKey(group, topic, i);
            stored += online.readMeta(key).map(b -> Positions.decode(key, b)).orElse(Positions.START).onlineNext();
          }
          if (stored >= expect) {
            System.out.println("stored " + stored + " records");
            break;
          }
          Thread.sleep(100);
        }
        while (m.isRunning() && expect < 0) {
          List<String> behind = new ArrayList<>();
          for (var e : ends.entrySet()) {
            String key = Positions.metaKey(group, topic, e.getKey().partition());
            long onlineNext = online.readMeta(key).map(b -> Positions.decode(key, b)).orElse(Positions.START).onlineNext();
            long offlineNext = offline.position(view, topic, e.getKey().partition());
            if (onlineNext < e.getValue().offset() || offlineNext < e.getValue().offset()) {
              behind.add(e.getKey() + " at online " + onlineNext + ", offline " + offlineNext + " of " + e.getValue().offset());
            }
          }
          if (behind.isEmpty()) {
            break;
          }
          Thread.sleep(200);
        }
      }
      m.shutdown();
      System.out.println("drained; failure=" + m.failure());
      System.exit(m.failure().isPresent() ? 3 : 0);
    }
  }

  static RegistrySnapshot registry(String view, String which) {
    RegistrySnapshot v1 = Fixtures.apply(RegistrySnapshot.empty(), Fixtures.defs(view));
    return which.equals("v2") ? Fixtures.apply(v1, Fixtures.withAccRate(v1.definitions(), view)) : v1;
  }
}
