package dev.quiver.benchmarks.offline;

import dev.quiver.offline.ExportResult;
import dev.quiver.offline.OfflineStore;
import dev.quiver.offline.TrainingSetExport;
import dev.quiver.registry.Definitions;
import dev.quiver.registry.Entity;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import dev.quiver.registry.ValueType;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Training-set export against DuckDB's ASOF LEFT JOIN on the same Parquet files, in one JVM.
 *
 * <p>Data: {@code views} views (3 features each: FLOAT32, INT64, FLOAT64; ttl 1 day), each with
 * {@code featureRows} events over 10 days for {@code entities} drivers, written through the
 * {@link OfflineStore} (one append per day, 4 partitions); a spine of {@code spineRows} rows
 * (driver_id, event_timestamp, rid, label) as Parquet. Then, {@code runs} times each: the Quiver
 * export to Parquet, and DuckDB {@code COPY (... ASOF LEFT JOIN ...) TO ... (FORMAT PARQUET)}
 * with the ttl applied by a CASE. Prints times, ratio, heap peak, and the number of cells on
 * which the two outputs disagree.
 *
 * <p>System properties: {@code bench.stages=true} prints stage times; {@code bench.manifest=false}
 * skips the manifest (and its input checksums).
 *
 * <p>Usage: {@code ExportBenchmark <dir> [spineRows=1000000] [featureRows=10000000] [views=1]
 * [entities=100000] [runs=3]}
 */
public final class ExportBenchmark {
  private static final long DAY = 86_400_000_000L;
  private static final long BASE = 1_704_067_200_000_000L; // 2024-01-01T00:00Z

  private ExportBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "target/export-bench");
    int spineRows = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    int featureRows = args.length > 2 ? Integer.parseInt(args[2]) : 10_000_000;
    int views = args.length > 3 ? Integer.parseInt(args[3]) : 1;
    int entities = args.length > 4 ? Integer.parseInt(args[4]) : 100_000;
    int runs = args.length > 5 ? Integer.parseInt(args[5]) : 3;
    Files.createDirectories(dir);
    String tag = spineRows + "x" + featureRows + "x" + views + "v";
    Path root = dir.resolve("store-" + tag);
    RegistrySnapshot reg = registry(views);
    List<String> refs = new ArrayList<>();
    for (int v = 0; v < views; v++) {
      refs.add("stats" + v + ":f" + v + "_a");
      refs.add("stats" + v + ":f" + v + "_b");
      refs.add("stats" + v + ":f" + v + "_c");
    }
    Path spine = dir.resolve("spine-" + tag + ".parquet");
    boolean fresh = !Files.exists(root.resolve("stats0"));
    long t0 = System.nanoTime();
    try (OfflineStore store = OfflineStore.open(root, reg)) {
      if (fresh) {
        for (int v = 0; v < views; v++) {
          writeHistory(store, "stats" + v, featureRows, entities, 42 + v);
        }
      }
    }
    if (!Files.exists(spine)) {
      writeSpine(spine, spineRows, entities);
    }
    System.out.printf("setup (data %s): %.1f s%n", fresh ? "written" : "reused", (System.nanoTime() - t0) / 1e9);

    List<Double> quiver = new ArrayList<>();
    List<Double> duck = new ArrayList<>();
    long heapPeak = 0;
    Path out = dir.resolve("quiver-" + tag + ".parquet");
    Path duckOut = dir.resolve("duckdb-" + tag + ".parquet");
    for (int run = 0; run < runs; run++) {
      System.gc();
      resetPeaks();
      long s = System.nanoTime();
      ExportResult r;
      try (OfflineStore store = OfflineStore.open(root, reg)) {
        r = TrainingSetExport.builder(reg).withStore(store).withSpine(spine).withFeatures(refs).withOutput(out)
            .withManifest(!"false".equals(System.getProperty("bench.manifest")))
            .withProgressBar(false).withProgress(stages(s)).build().run();
      }
      double q = (System.nanoTime() - s) / 1e9;
      heapPeak = Math.max(heapPeak, heapPeak());
      quiver.add(q);
      System.gc();
      s = System.nanoTime();
      duckdb(root, spine, duckOut, views);
      double d = (System.nanoTime() - s) / 1e9;
      duck.add(d);
      System.out.printf("run %d: quiver %.2f s (%d rows), duckdb %.2f s, ratio %.2f%n", run + 1, q, r.rows(), d, q / d);
    }
    double qm = median(quiver);
    double dm = median(duck);
    System.out.printf("RESULT %s: quiver median %.2f s, duckdb median %.2f s, ratio %.2fx, quiver heap peak %d MiB,"
        + " process peak RSS %s%n", tag, qm, dm, qm / dm, heapPeak >> 20, vmHwm());
    System.out.println("disagreeing cells (ties on equal event time may differ: ASOF has no created/offset rule): "
        + compare(out, duckOut, views));
  }

  /** With -Dbench.stages=true, prints when each stage completes (seconds since start). */
  static dev.quiver.offline.ProgressListener stages(long start) {
    if (!Boolean.getBoolean("bench.stages")) {
      return dev.quiver.offline.ProgressListener.NONE;
    }
    return (stage, done, total) -> {
      if (done == total) {
        System.out.printf("  %.2f s  %s done%n", (System.nanoTime() - start) / 1e9, stage);
      }
    };
  }

  static RegistrySnapshot registry(int views) {
    Definitions.Builder d = Definitions.builder()
        .withEntity(Entity.builder("driver").withJoinKey("driver_id", ValueType.INT64).build())
        .withSource(Source.kafka("stream", null));
    for (int v = 0; v < views; v++) {
      d.withView(FeatureView.builder("stats" + v).withEntity("driver").withSource("stream").withTtl(Duration.ofDays(1))
          .withFeature("f" + v + "_a", ValueType.FLOAT32).withFeature("f" + v + "_b", ValueType.INT64)
          .withFeature("f" + v + "_c", ValueType.FLOAT64).build());
    }
    return RegistrySnapshot.of(d.build());
  }

  static void writeHistory(OfflineStore store, String view, int rows, int entities, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int days = 10;
    long[] offsets = new long[4];
    int perDay = rows / days;
    for (int day = 0; day < days; day++) {
      List<FeatureEvent> batch = new ArrayList<>(perDay);
      int n = day == days - 1 ? rows - perDay * (days - 1) : perDay;
      for (int i = 0; i < n; i++) {
        long driver = r.nextInt(entities);
        int p = (int) (driver & 3);
        long ev = BASE + day * DAY + r.nextLong(DAY);
        batch.add(new FeatureEvent(view, 1, List.of(driver), ev, ev + r.nextLong(60_000_000L), p, offsets[p]++,
            Arrays.asList(r.nextInt(1000) / 1000f, (long) r.nextInt(100_000), r.nextDouble())));
      }
      store.append(view, batch);
    }
  }

  static void writeSpine(Path spine, int rows, int entities) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
      st.execute("COPY (SELECT i AS rid, (hash(i) % " + (entities + entities / 10) + ")::BIGINT AS driver_id, "
          + "make_timestamptz(" + (BASE + DAY) + " + (hash(i * 7 + 1) % " + (9 * DAY) + ")::BIGINT) AS event_timestamp, "
          + "(i % 2)::INTEGER AS label FROM range(" + rows + ") t(i)) TO '" + spine + "' (FORMAT PARQUET)");
    }
  }

  static void duckdb(Path root, Path spine, Path out, int views) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
      StringBuilder sel = new StringBuilder("SELECT s.*");
      StringBuilder from = new StringBuilder(" FROM read_parquet('" + spine + "') s");
      for (int v = 0; v < views; v++) {
        String h = "h" + v;
        for (String f : List.of("_a", "_b", "_c")) {
          sel.append(", CASE WHEN ").append(h).append(".event_timestamp >= s.event_timestamp - INTERVAL 1 DAY THEN ")
              .append(h).append(".f").append(v).append(f).append(" END AS f").append(v).append(f);
        }
        from.append(" ASOF LEFT JOIN (SELECT driver_id, event_timestamp, f").append(v).append("_a, f").append(v)
            .append("_b, f").append(v).append("_c FROM read_parquet('").append(root.resolve("stats" + v))
            .append("/**/*.parquet')) ").append(h).append(" ON s.driver_id = ").append(h).append(".driver_id AND s.event_timestamp >= ")
            .append(h).append(".event_timestamp");
      }
      st.execute("COPY (" + sel + from + ") TO '" + out + "' (FORMAT PARQUET)");
    }
  }

  static long compare(Path a, Path b, int views) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
      StringBuilder cond = new StringBuilder("false");
      for (int v = 0; v < views; v++) {
        for (String f : List.of("_a", "_b", "_c")) {
          String col = "f" + v + f;
          cond.append(" OR a.").append(col).append(" IS DISTINCT FROM b.").append(col);
        }
      }
      try (ResultSet rs = st.executeQuery("SELECT count(*) FROM read_parquet('" + a + "') a JOIN read_parquet('" + b
          + "') b USING (rid) WHERE " + cond)) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  static void resetPeaks() {
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      p.resetPeakUsage();
    }
  }

  static long heapPeak() {
    long sum = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP && p.getPeakUsage() != null) {
        sum += p.getPeakUsage().getUsed();
      }
    }
    return sum;
  }

  static String vmHwm() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (l.startsWith("VmHWM")) {
          return l.substring(6).trim();
        }
      }
    } catch (Exception e) {
      // not Linux
    }
    return "n/a";
  }

  static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(null);
    return s.get(s.size() / 2);
  }

}
