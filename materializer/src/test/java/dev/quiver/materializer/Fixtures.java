package dev.quiver.materializer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.offline.CommittedFile;
import dev.quiver.offline.OfflineStore;
import dev.quiver.online.FeatureValue;
import dev.quiver.online.OnlineFeatures;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.Definitions;
import dev.quiver.registry.Entity;
import dev.quiver.registry.EventOrder;
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

  static Instant created(long i) {
    return BASE.plusSeconds(3600 + (i % 5));
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

  /** The latest event per entity by the ordering rule. */
  static Map<Long, FeatureEvent> latest(List<FeatureEvent> events) {
    Map<Long, FeatureEvent> out = new HashMap<>();
    for (FeatureEvent e : events) {
      out.merge((Long) e.keys().get(0), e, (a, b) -> EventOrder.compare(a, b) >= 0 ? a : b);
    }
    return out;
  }

  static long offlineRowCount(OfflineStore store, String view) {
    return store.committedFiles(view).stream().mapToLong(CommittedFile::rows).sum();
  }

  /** (partition, offset, driver_id, event micros, trips) of every committed row, read by DuckDB. */
  static List<String> offlineRows(OfflineStore store, String view) throws Exception {
    List<String> files = store.committedFiles(view).stream().map(f -> "'" + f.path() + "'").toList();
    if (files.isEmpty()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
         Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT _partition, _offset, driver_id, epoch_us(event_timestamp), trips "
             + "FROM read_parquet([" + String.join(",", files) + "], union_by_name=true)")) {
      while (rs.next()) {
        out.add(rs.getInt(1) + "/" + rs.getLong(2) + "/" + rs.getLong(3) + "/" + rs.getLong(4) + "/" + rs.getLong(5));
      }
    }
    return out;
  }

  static List<String> rowsOf(List<FeatureEvent> events, int tripsIndex) {
    return events.stream().map(e -> e.partition() + "/" + e.offset() + "/" + e.keys().get(0) + "/"
        + e.eventMicros() + "/" + e.values().get(tripsIndex)).collect(Collectors.toList());
  }

  /** Asserts the online store holds exactly the latest event per entity (trips identifies the row). */
  static void assertOnlineHoldsLatest(OnlineStore store, String view, List<FeatureEvent> produced) {
    Map<Long, FeatureEvent> latest = latest(produced);
    List<Long> ids = new ArrayList<>(latest.keySet());
    OnlineFeatures got = store.get(List.of(view + ":trips", view + ":note"), Map.of("driver_id", ids),
        BASE.plusSeconds(86_400));
    for (int i = 0; i < ids.size(); i++) {
      FeatureEvent want = latest.get(ids.get(i));
      FeatureValue trips = got.value(i, 0);
      assertThat(trips.value()).as("trips of driver %s", ids.get(i)).isEqualTo(want.values().get(1));
      assertThat(got.value(i, 1).value()).isEqualTo(want.values().get(2));
      assertThat(trips.eventTime()).isEqualTo(Timestamps.fromMicros(want.eventMicros()));
    }
  }
}
