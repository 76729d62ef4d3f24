package dev.quiver.offline;

import dev.quiver.offline.internal.Column;
import dev.quiver.offline.internal.ParquetIo;
import dev.quiver.offline.internal.Table;
import dev.quiver.registry.Definitions;
import dev.quiver.registry.Entity;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import dev.quiver.registry.ValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Randomized registries, store contents, Parquet source files and spines for join tests. */
final class PitFixtures {
  static final long MIN = 60_000_000L;
  static final long HOUR = 60 * MIN;
  static final long DAY = 24 * HOUR;
  /** 2024-03-01T00:00Z: the data spans several days from here. */
  static final long BASE = 1_709_251_200_000_000L;
  static final long STEP = 10 * MIN;

  private PitFixtures() {}

  /**
   * driver_stats (driver, ttl 2h, stream), customer_profile (customer, ttl 1d, stream),
   * driver_lifetime (driver, ttl 0, Parquet files data/lifetime/*.parquet with created times).
   */
  static RegistrySnapshot registry() {
    Definitions d = Definitions.builder()
        .withEntity(Entity.builder("driver").withJoinKey("driver_id", ValueType.INT64).build())
        .withEntity(Entity.builder("customer").withJoinKey("customer_id", ValueType.STRING).build())
        .withSource(Source.kafka("stats_stream", null))
        .withSource(Source.kafka("profile_stream", null))
        .withSource(Source.parquet("lifetime_files", "data/lifetime/*.parquet", "ts", "created"))
        .withView(FeatureView.builder("driver_stats").withEntity("driver").withSource("stats_stream")
            .withTtl(Duration.ofHours(2))
            .withFeature("conv_rate", ValueType.FLOAT32)
            .withFeature("trips", ValueType.INT64)
            .withFeature("city", ValueType.STRING).build())
        .withView(FeatureView.builder("customer_profile").withEntity("customer").withSource("profile_stream")
            .withTtl(Duration.ofDays(1))
            .withFeature("score", ValueType.FLOAT64)
            .withFeature("active", ValueType.BOOL).build())
        .withView(FeatureView.builder("driver_lifetime").withEntity("driver").withSource("lifetime_files")
            .withTtl(Duration.ZERO)
            .withFeature("total", ValueType.INT64).build())
        .build();
    return RegistrySnapshot.of(d);
  }

  static final List<String> ALL_REFS = List.of("driver_stats:conv_rate", "driver_stats:trips", "driver_stats:city",
      "customer_profile:score", "customer_profile:active", "driver_lifetime:total");

  /** A time on the 10-minute grid within {@code days} days of BASE. */
  static long gridTime(Random r, int days) {
    return BASE + (long) r.nextInt((int) (days * DAY / STEP)) * STEP;
  }

  /** Created time: often equal to others (few distinct values), sometimes missing. */
  static long created(Random r, long event) {
    int k = r.nextInt(10);
    if (k == 0) {
      return FeatureEvent.NO_CREATED_TIME;
    }
    return event + (long) r.nextInt(3) * STEP;
  }

  /** Writes random stream events of the two stream views into the store, in several appends. */
  static void fillStore(OfflineStore store, Random r, int drivers, int customers, int eventsPerEntity, int days) {
    long[] offsets = new long[4];
    List<FeatureEvent> batch = new ArrayList<>();
    for (int d = 0; d < drivers; d++) {
      for (int e = 0; e < eventsPerEntity; e++) {
        long ev = gridTime(r, days);
        int p = r.nextInt(3);
        Float conv = r.nextInt(20) == 0 ? null : r.nextFloat();
        batch.add(new FeatureEvent("driver_stats", 1, List.of((long) d), ev, created(r, ev), p, offsets[p]++,
            Arrays.asList(conv, (long) r.nextInt(1000), "c" + r.nextInt(50))));
        if (batch.size() >= 5000) {
          store.append("driver_stats", batch);
          batch.clear();
        }
      }
    }
    store.append("driver_stats", batch);
    batch.clear();
    offsets = new long[4];
    for (int c = 0; c < customers; c++) {
      for (int e = 0; e < eventsPerEntity; e++) {
        long ev = gridTime(r, days);
        int p = r.nextInt(4);
        batch.add(new FeatureEvent("customer_profile", 1, List.of("cust-" + c), ev, created(r, ev), p, offsets[p]++,
            Arrays.asList(r.nextDouble(), r.nextBoolean())));
        if (batch.size() >= 5000) {
          store.append("customer_profile", batch);
          batch.clear();
        }
      }
    }
    store.append("customer_profile", batch);
  }

  /** Writes the Parquet source files of driver_lifetime (3 files) under {@code repo}. */
  static void writeLifetimeFiles(Path repo, Random r, int drivers, int days) throws Exception {
    Path dir = repo.resolve("data/lifetime");
    Files.createDirectories(dir);
    for (int f = 0; f < 3; f++) {
      Column id = new Column("driver_id", ValueType.INT64, 0);
      Column ts = new Column("ts", ValueType.TIMESTAMP, 0);
      Column cr = new Column("created", ValueType.TIMESTAMP, 0);
      Column total = new Column("total", ValueType.INT64, 0);
      int rows = drivers * 2;
      for (int i = 0; i < rows; i++) {
        id.addLong(r.nextInt(drivers));
        long ev = gridTime(r, days);
        ts.addLong(ev);
        long c = created(r, ev);
        if (c == FeatureEvent.NO_CREATED_TIME) {
          cr.addNull();
        } else {
          cr.addLong(c);
        }
        total.addLong(r.nextInt(100_000));
      }
      ParquetIo.write(dir.resolve("part-" + f + ".parquet"), new Table(List.of(id, ts, cr, total), rows));
    }
  }

  /** A spine: driver_id (some without history), customer_id, event_timestamp (on the grid), label, note. */
  static Path writeSpine(Path file, Random r, int rows, int drivers, int customers, int days) throws Exception {
    Column id = new Column("driver_id", ValueType.INT64, rows);
    Column cust = new Column("customer_id", ValueType.STRING, rows);
    Column ts = new Column("event_timestamp", ValueType.TIMESTAMP, rows);
    Column label = new Column("label", ValueType.INT32, rows);
    Column note = new Column("note", ValueType.STRING, rows);
    for (int i = 0; i < rows; i++) {
      id.addLong(r.nextInt(drivers + drivers / 10));
      cust.addObj("cust-" + r.nextInt(customers + customers / 10));
      ts.addLong(gridTime(r, days + 1));
      label.addInt(r.nextInt(2));
      if (r.nextInt(7) == 0) {
        note.addNull();
      } else {
        note.addObj("n" + i);
      }
    }
    ParquetIo.write(file, new Table(List.of(id, cust, ts, label, note), rows));
    return file;
  }
}
