package dev.quiver.materializer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.offline.CommittedFile;
import dev.quiver.offline.OfflineStore;
import dev.quiver.online.FeatureValue;
import dev.quiver.online.OnlineFeatures;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.Definitions;
import dev.quiver.registry.Entity;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import dev.quiver.registry.Timestamps;
import dev.quiver.registry.ValueType;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Shared test data: a driver view per test, rows, the expected stores, and DuckDB reads of Parquet. */
final class Fixtures {
  static final Instant BASE = Instant.parse("2026-01-05T10:00:00Z");

  private Fixtures() {}

  static Entity driver() {
    return Entity.builder("driver").withJoinKey("driver_id", ValueType.INT64).build();
  }

  static FeatureView view(String name, boolean withAccRate) {
    FeatureView.Builder b = FeatureView.builder(name).withEntity("driver").withSource("src_" + name)
        .withFeature("conv_rate", ValueType.FLOAT32)
        .withFeature("trips", ValueType.INT64)
        .withFeature("note", ValueType.STRING);
    if (withAccRate) {
      b.withFeature("acc_rate", ValueType.FLOAT64);
    }
    return b.build();
  }

  /** Definitions with these views (each its own Kafka source and default topic quiver.<view>). */
  static Definitions defs(String... views) {
    Definitions.Builder b = Definitions.builder().withEntity(driver());
    for (String v : views) {
      b.withSource(Source.kafka("src_" + v, null)).withView(view(v, false));
    }
    return b.build();
  }

  /** Definitions with one view whose source reads {@code topic}. */
  static Definitions defsWithTopic(String view, String topic) {
    return Definitions.builder().withEntity(driver()).withSource(Source.kafka("src_" + view, topic))
        .withView(view(view, false)).build();
  }

  static Definitions withAccRate(Definitions d, String view) {
    Definitions.Builder b = Definitions.builder();
    d.entities().values().forEach(b::withEntity);
    d.sources().values().forEach(b::withSource);
    d.views().values().forEach(v -> b.withView(v.name().equals(view) ? view(view, true) : v));
    return b.build();
  }

  static RegistrySnapshot apply(RegistrySnapshot s, Definitions d) {
    return s.withDefinitions(d, BASE, "test");
  }

  static String topic(String view) {
    return "quiver." + view;
  }

  /** Row i: driver i % drivers, event time BASE + (i % 7) minutes (ties on purpose), trips i. */
  static Map<String, Object> row(long i, int drivers) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("driver_id", i % drivers);
    r.put("event_timestamp", BASE.plusSeconds(60 * (i % 7)));
    r.put("conv_rate", (float) (i % 100) / 100f);
    r.put("trips", i);
    r.put("note", "n" + i);
    return r;
  }

  /**
   * The created time of row i: BASE + 1 h + (37 i mod 11) s. It differs between the events of one
   * driver (unlike the event minute's 7 values it follows no offset order), so among events with
   * the same event time the created time, not the offset, decides which is latest.
   */
  static Instant created(long i) {
    return BASE.plusSeconds(3600 + (37 * i) % 11);
  }

  /** The event a row becomes once stored (values in the given version's feature order). */
  static FeatureEvent expected(String view, FeatureViewVersion current, Map<String, Object> row, Instant created,
                               int partition, long offset) {
    List<Object> values = new ArrayList<>();
    for (var f : current.features()) {
      Object v = row.get(f.name());
      values.add(v == null ? null : f.type().coerce(v));
    }
    return new FeatureEvent(view, current.version(), List.of(row.get("driver_id")),
        Timestamps.toMicros((Instant) row.get("event_timestamp")),
        created == null ? FeatureEvent.NO_CREATED_TIME : Timestamps.toMicros(created), partition, offset, values);
  }

  /**
   * The latest event per entity, computed here and not by the product's {@code EventOrder}: the
   * events of each entity sorted by (event time, created time, partition, offset), a missing
   * created time ({@link FeatureEvent#NO_CREATED_TIME}, the smallest long) first; the last wins.
   */
  static Map<Long, FeatureEvent> latest(List<FeatureEvent> events) {
    Comparator<FeatureEvent> order = Comparator.comparingLong(FeatureEvent::eventMicros)
        .thenComparingLong(FeatureEvent::createdMicros)
        .thenComparingInt(FeatureEvent::partition)
        .thenComparingLong(FeatureEvent::offset);
    Map<Long, List<FeatureEvent>> byEntity = new HashMap<>();
    for (FeatureEvent e : events) {
      byEntity.computeIfAbsent((Long) e.keys().get(0), k -> new ArrayList<>()).add(e);
    }
    Map<Long, FeatureEvent> out = new HashMap<>();
    byEntity.forEach((k, list) -> {
      List<FeatureEvent> sorted = new ArrayList<>(list);
      sorted.sort(order);
      out.put(k, sorted.get(sorted.size() - 1));
    });
    return out;
  }

  /**
   * How many entities' latest event would change if created times were ignored (ties on the event
   * time broken by offset alone): a fixture where this is 0 proves nothing about created times.
   */
  static long entitiesDecidedByCreatedTime(List<FeatureEvent> events) {
    Map<Long, FeatureEvent> withCreated = latest(events);
    Map<Long, FeatureEvent> withoutCreated = latest(events.stream().map(e -> new FeatureEvent(e.view(),
        e.schemaVersion(), e.keys(), e.eventMicros(), 0, e.partition(), e.offset(), e.values())).toList());
    return withCreated.entrySet().stream()
        .filter(en -> en.getValue().offset() != withoutCreated.get(en.getKey()).offset()).count();
  }

  static long offlineRowCount(OfflineStore store, String view) {
    return store.committedFiles(view).stream().mapToLong(CommittedFile::rows).sum();
  }

  /** The columns every data file starts with, and their DuckDB types. */
  static final List<String> FIXED_COLUMNS = List.of("driver_id BIGINT", "event_timestamp TIMESTAMP WITH TIME ZONE",
      "created_timestamp TIMESTAMP WITH TIME ZONE", "_partition INTEGER", "_offset BIGINT");
  /** The DuckDB type of each feature of the fixture views. */
  static final Map<String, String> FEATURE_TYPES = Map.of("conv_rate", "FLOAT", "trips", "BIGINT", "note", "VARCHAR",
      "acc_rate", "DOUBLE");

  /**
   * Every column of every committed row, read file by file by DuckDB, as
   * {@code partition/offset/driver_id/event micros/created micros or null/feature.../}; asserts
   * each file's columns are exactly the fixed ones then the features of its version, typed.
   */
  static List<String> offlineRows(OfflineStore store, String view) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
      for (CommittedFile f : store.committedFiles(view)) {
        List<String> columns = new ArrayList<>();
        try (ResultSet rs = st.executeQuery("DESCRIBE SELECT * FROM read_parquet('" + f.path() + "', hive_partitioning = false)")) {
          while (rs.next()) {
            columns.add(rs.getString(1) + " " + rs.getString(2));
          }
        }
        assertThat(columns.subList(0, Math.min(5, columns.size()))).as("columns of %s", f.path())
            .isEqualTo(FIXED_COLUMNS);
        List<String> features = new ArrayList<>();
        for (String col : columns.subList(5, columns.size())) {
          String name = col.substring(0, col.indexOf(' '));
          assertThat(col).as("feature column of %s", f.path()).isEqualTo(name + " " + FEATURE_TYPES.get(name));
          features.add(name);
        }
        String sql = "SELECT _partition, _offset, driver_id, epoch_us(event_timestamp), epoch_us(created_timestamp)"
            + features.stream().map(n -> ", " + n).collect(Collectors.joining()) + " FROM read_parquet('" + f.path() + "', hive_partitioning = false)";
        try (ResultSet rs = st.executeQuery(sql)) {
          while (rs.next()) {
            StringBuilder row = new StringBuilder();
            for (int i = 1; i <= 5 + features.size(); i++) {
              row.append(rs.getObject(i)).append('/');
            }
            out.add(row.toString());
          }
        }
      }
    }
    return out;
  }

  /** The rows {@link #offlineRows} reads for these events. */
  static List<String> rowsOf(List<FeatureEvent> events) {
    return events.stream().map(e -> {
      StringBuilder row = new StringBuilder().append(e.partition()).append('/').append(e.offset()).append('/')
          .append(e.keys().get(0)).append('/').append(e.eventMicros()).append('/')
          .append(e.createdMicros() == FeatureEvent.NO_CREATED_TIME ? null : (Object) e.createdMicros()).append('/');
      e.values().forEach(v -> row.append(v).append('/'));
      return row.toString();
    }).collect(Collectors.toList());
  }

  /** Asserts the online store holds exactly the latest event per entity: every feature and the event time. */
  static void assertOnlineHoldsLatest(OnlineStore store, String view, List<FeatureEvent> produced) {
    Map<Long, FeatureEvent> latest = latest(produced);
    List<Long> ids = new ArrayList<>(latest.keySet());
    List<String> features = List.of("conv_rate", "trips", "note");
    OnlineFeatures got = store.get(features.stream().map(f -> view + ":" + f).toList(), Map.of("driver_id", ids),
        BASE.plusSeconds(86_400));
    for (int i = 0; i < ids.size(); i++) {
      FeatureEvent want = latest.get(ids.get(i));
      for (int f = 0; f < features.size(); f++) {
        FeatureValue v = got.value(i, f);
        assertThat(v.value()).as("%s of driver %s", features.get(f), ids.get(i)).isEqualTo(want.values().get(f));
        assertThat(v.eventTime()).as("event time of driver %s", ids.get(i))
            .isEqualTo(Timestamps.fromMicros(want.eventMicros()));
      }
    }
  }

  /** Every record of a topic from its start: at least {@code expected}, then a second more (a duplicate would arrive). */
  static List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> readAll(String bootstrap, String topic,
                                                                                      int expected) {
    java.util.Properties p = new java.util.Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("group.id", "reader-" + topic);
    p.put("auto.offset.reset", "earliest");
    List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (var c = new org.apache.kafka.clients.consumer.KafkaConsumer<>(p,
        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 60_000;
      while (out.size() < expected && System.currentTimeMillis() < deadline) {
        c.poll(java.time.Duration.ofMillis(200)).forEach(out::add);
      }
      // Anything beyond the expected count would be a duplicate: look a little longer.
      long extra = System.currentTimeMillis() + 1_000;
      while (System.currentTimeMillis() < extra) {
        c.poll(java.time.Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }
}
