package dev.quiver.benchmarks.materializer;

import dev.quiver.materializer.EmbeddedKafka;
import dev.quiver.materializer.EventEncoder;
import dev.quiver.offline.CommittedFile;
import dev.quiver.offline.OfflineStore;
import dev.quiver.online.OnlineFeatures;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.EventOrder;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Timestamps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The full-size fault soak: N events stream into a 3-partition topic while a materializer in a
 * child JVM is killed with SIGKILL K times (each time after it made progress) and the broker is
 * stopped and restarted once mid-stream; a last child drains the topic. Then Parquet must hold
 * every event exactly once (count and checksum per partition, compared row by row) and the online
 * store the latest value per entity by the ordering rule. Exit code 0 when both hold.
 * Args: {@code [events=1000000] [kills=10] [workDir]}.
 */
public final class MaterializerSoak {
  static final int PARTITIONS = 3;
  static final int DRIVERS = 20_000;
  static final int CHUNK = 1_000;

  private MaterializerSoak() {}

  /** What the producer sent: per (partition, offset) the row index; acknowledged asynchronously. */
  record Sent(int partition, long offset, long index) {}

  public static void main(String[] args) throws Exception {
    long events = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000L;
    int kills = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    Path work = args.length > 2 ? Path.of(args[2]) : Files.createTempDirectory("quiver-soak-");
    RegistrySnapshot reg = BenchViews.registry();
    Random random = new Random(1);
    long started = System.nanoTime();
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().withDataDir(work.resolve("kafka")).build().start()) {
      kafka.createTopic(BenchViews.TOPIC, PARTITIONS);
      List<Sent> sent = java.util.Collections.synchronizedList(new ArrayList<>());
      AtomicLong produced = new AtomicLong();
      // The producer sends a chunk per permit, handed out phase by phase, so events keep streaming
      // in while each child runs and is killed.
      Semaphore permits = new Semaphore(0);
      Thread producer = new Thread(() -> produce(kafka.bootstrapServers(), reg, events, permits, sent, produced), "producer");
      producer.start();
      long chunks = (events + CHUNK - 1) / CHUNK;
      long released = 0;

      Process child = start(kafka, work, false, 0);
      for (int k = 1; k <= kills; k++) {
        long quota = chunks / (kills + 1);
        for (long j = 0; j < quota; j++) {
          permits.release();
          released++;
          Thread.sleep(50);
        }
        awaitProgress(work, k - 1);
        Thread.sleep(500 + random.nextInt(3_000));
        if (k == kills / 2) {
          System.out.println("broker stop/restart");
          kafka.stop();
          Thread.sleep(2_000);
          kafka.start();
          Thread.sleep(2_000);
        }
        child.destroyForcibly();
        child.waitFor(30, TimeUnit.SECONDS);
        System.out.printf("kill %d (exit %d) at %d produced%n", k, child.exitValue(), produced.get());
        child = start(kafka, work, false, k);
      }
      permits.release((int) (chunks - released));
      producer.join();
      child.destroyForcibly();
      child.waitFor(30, TimeUnit.SECONDS);
      Process drain = start(kafka, work, true, 999);
      if (!drain.waitFor(30, TimeUnit.MINUTES) || drain.exitValue() != 0) {
        System.out.println("FAIL: drain child did not finish cleanly, see " + log(work, 999));
        System.exit(1);
      }
      System.out.printf("streamed, killed %d times and drained in %.0f s%n", kills, (System.nanoTime() - started) / 1e9);
      boolean ok = verify(work, reg, sent, events);
      System.out.println(ok ? "OK: exactly once in Parquet, latest per entity online" : "FAIL");
      System.exit(ok ? 0 : 1);
    }
  }

  static void produce(String bootstrap, RegistrySnapshot reg, long events, Semaphore permits, List<Sent> sent,
                      AtomicLong produced) {
    EventEncoder enc = EventEncoder.of(reg.currentVersion(BenchViews.VIEW));
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("enable.idempotence", "true");
    p.put("acks", "all");
    p.put("linger.ms", "10");
    p.put("delivery.timeout.ms", "600000");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (long i = 0; i < events; i++) {
        if (i % CHUNK == 0) {
          permits.acquire();
        }
        Map<String, Object> r = BenchViews.row(i, DRIVERS);
        ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(BenchViews.TOPIC, enc.key(r), enc.value(r));
        rec.headers().add(EventEncoder.CREATED_TS_HEADER, EventEncoder.createdHeader(BenchViews.created(i)));
        long index = i;
        producer.send(rec, (md, e) -> {
          if (e != null) {
            System.out.println("FAIL: send " + index + ": " + e);
            System.exit(1);
          }
          sent.add(new Sent(md.partition(), md.offset(), index));
        });
        produced.incrementAndGet();
      }
      producer.flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static boolean verify(Path work, RegistrySnapshot reg, List<Sent> sent, long events) throws Exception {
    if (sent.size() != events) {
      System.out.println("FAIL: " + sent.size() + " of " + events + " sends acknowledged");
      return false;
    }
    // Expected: per partition count and checksum; per entity the latest by the ordering rule.
    Map<Integer, long[]> want = new TreeMap<>();
    Map<Long, Sent> latest = new HashMap<>();
    for (Sent s : sent) {
      long[] a = want.computeIfAbsent(s.partition(), k -> new long[2]);
      a[0]++;
      a[1] += mix(s.partition(), s.offset(), s.index());
      latest.merge(s.index() % DRIVERS, s, (x, y) -> compare(x, y) >= 0 ? x : y);
    }
    Map<Integer, long[]> got = new TreeMap<>();
    long dupes;
    try (OfflineStore off = OfflineStore.open(work.resolve("offline"), reg);
         Connection c = DriverManager.getConnection("jdbc:duckdb:");
         Statement st = c.createStatement()) {
      List<String> files = off.committedFiles(BenchViews.VIEW).stream().map(CommittedFile::path)
          .map(p -> "'" + p + "'").toList();
      String src = "read_parquet([" + String.join(",", files) + "])";
      try (ResultSet rs = st.executeQuery("SELECT _partition, _offset, trips FROM " + src)) {
        while (rs.next()) {
          long[] a = got.computeIfAbsent(rs.getInt(1), k -> new long[2]);
          a[0]++;
          a[1] += mix(rs.getInt(1), rs.getLong(2), rs.getLong(3));
        }
      }
      try (ResultSet rs = st.executeQuery("SELECT count(*) - count(DISTINCT (_partition, _offset)) FROM " + src)) {
        rs.next();
        dupes = rs.getLong(1);
      }
    }
    boolean ok = dupes == 0;
    for (var e : want.entrySet()) {
      long[] g = got.getOrDefault(e.getKey(), new long[2]);
      System.out.printf("partition %d: expected count=%d checksum=%x, parquet count=%d checksum=%x%n",
          e.getKey(), e.getValue()[0], e.getValue()[1], g[0], g[1]);
      ok &= g[0] == e.getValue()[0] && g[1] == e.getValue()[1];
    }
    System.out.println("duplicate (partition, offset) rows in parquet: " + dupes);
    try (OnlineStore on = OnlineStore.open(work.resolve("online"), reg)) {
      List<Long> ids = new ArrayList<>(latest.keySet());
      OnlineFeatures f = on.get(List.of(BenchViews.VIEW + ":trips"), Map.of("driver_id", ids), BenchViews.BASE.plusSeconds(86_400));
      long wrong = 0;
      for (int i = 0; i < ids.size(); i++) {
        if (!Long.valueOf(latest.get(ids.get(i)).index()).equals(f.value(i, 0).value())) {
          wrong++;
        }
      }
      System.out.println("entities online: " + ids.size() + ", not the latest by the ordering rule: " + wrong);
      ok &= wrong == 0;
    }
    return ok;
  }

  private static int compare(Sent a, Sent b) {
    return EventOrder.compare(micros(a.index()), Timestamps.toMicros(BenchViews.created(a.index())), a.partition(), a.offset(),
        micros(b.index()), Timestamps.toMicros(BenchViews.created(b.index())), b.partition(), b.offset());
  }

  private static long micros(long index) {
    return Timestamps.toMicros(BenchViews.BASE.plusSeconds(index % 600));
  }

  private static long mix(int partition, long offset, long index) {
    long h = partition * 0x9E3779B97F4A7C15L ^ offset * 0xC2B2AE3D27D4EB4FL ^ index * 0x165667B19E3779F9L;
    return h ^ (h >>> 31);
  }

  static Path log(Path work, int n) {
    return work.resolve("child-" + n + ".log");
  }

  static void awaitProgress(Path work, int n) throws Exception {
    long deadline = System.currentTimeMillis() + 120_000;
    while (System.currentTimeMillis() < deadline) {
      if (Files.exists(log(work, n))) {
        // The child prints its stores' position whenever it changes: wait for it to move.
        List<Long> at = Files.readAllLines(log(work, n)).stream().filter(l -> l.startsWith("progress "))
            .map(l -> Long.parseLong(l.substring(9).trim())).toList();
        if (at.size() >= 2 && at.get(at.size() - 1) > at.get(0)) {
          return;
        }
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("child " + n + " made no progress in 120 s; see " + log(work, n));
  }

  static Process start(EmbeddedKafka kafka, Path work, boolean drain, int n) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"),
        SoakChild.class.getName(), kafka.bootstrapServers(), work.toString(), String.valueOf(PARTITIONS),
        String.valueOf(drain)).redirectErrorStream(true).redirectOutput(log(work, n).toFile()).start();
  }
}
