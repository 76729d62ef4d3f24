package dev.quiver.benchmarks.materializer;

import dev.quiver.materializer.internal.Positions;
import dev.quiver.offline.OfflineStore;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.Definitions;
import dev.quiver.registry.Entity;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import dev.quiver.registry.ValueType;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/** The view the materializer load drivers use: a driver entity and 10 features. */
final class BenchViews {
  static final String VIEW = "bench_stats";
  static final String TOPIC = "quiver." + VIEW;
  static final Instant BASE = Instant.parse("2026-01-05T10:00:00Z");

  private BenchViews() {}

  static RegistrySnapshot registry() {
    FeatureView.Builder v = FeatureView.builder(VIEW).withEntity("driver").withSource("bench_stream");
    for (int i = 0; i < 5; i++) {
      v.withFeature("d" + i, ValueType.FLOAT64);
    }
    for (int i = 0; i < 4; i++) {
      v.withFeature("n" + i, ValueType.INT64);
    }
    v.withFeature("trips", ValueType.INT64);
    Definitions d = Definitions.builder()
        .withEntity(Entity.builder("driver").withJoinKey("driver_id", ValueType.INT64).build())
        .withSource(Source.kafka("bench_stream", null)).withView(v.build()).build();
    return RegistrySnapshot.empty().withDefinitions(d, BASE, "bench");
  }

  /** Row i: driver i % drivers, event time BASE + (i % 600) s, trips = i. */
  static Map<String, Object> row(long i, int drivers) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("driver_id", i % drivers);
    r.put("event_timestamp", BASE.plusSeconds(i % 600));
    for (int k = 0; k < 5; k++) {
      r.put("d" + k, (i * (k + 1)) / 7.0);
    }
    for (int k = 0; k < 4; k++) {
      r.put("n" + k, i + k);
    }
    r.put("trips", i);
    return r;
  }

  static Instant created(long i) {
    return BASE.plusSeconds(3600 + (i % 5));
  }

  static Map<TopicPartition, Long> endOffsets(String bootstrap, String topic, int partitions) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    try (Admin admin = Admin.create(p)) {
      Map<TopicPartition, OffsetSpec> req = new java.util.HashMap<>();
      for (int i = 0; i < partitions; i++) {
        req.put(new TopicPartition(topic, i), OffsetSpec.latest());
      }
      Map<TopicPartition, Long> out = new java.util.HashMap<>();
      admin.listOffsets(req).all().get().forEach((tp, info) -> out.put(tp, info.offset()));
      return out;
    }
  }

  /** The sum over partitions of min(online next, offline next). */
  static long position(OnlineStore online, OfflineStore offline, String group, int partitions) {
    long sum = 0;
    for (int i = 0; i < partitions; i++) {
      String key = Positions.metaKey(group, TOPIC, i);
      long on = online.readMeta(key).map(b -> Positions.decode(key, b)).orElse(Positions.START).onlineNext();
      sum += Math.min(on, offline.position(VIEW, TOPIC, i));
    }
    return sum;
  }

  /** Whether both stores' positions (online meta, offline commit records) reached these end offsets. */
  static boolean drained(OnlineStore online, OfflineStore offline, String group, Map<TopicPartition, Long> ends) {
    for (var e : ends.entrySet()) {
      String key = Positions.metaKey(group, e.getKey().topic(), e.getKey().partition());
      Positions p = online.readMeta(key).map(b -> Positions.decode(key, b)).orElse(Positions.START);
      if (p.onlineNext() < e.getValue() || offline.position(VIEW, e.getKey().topic(), e.getKey().partition()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }
}
