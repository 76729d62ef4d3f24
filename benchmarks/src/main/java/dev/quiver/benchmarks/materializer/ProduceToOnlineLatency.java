package dev.quiver.benchmarks.materializer;

import dev.quiver.materializer.EmbeddedKafka;
import dev.quiver.materializer.FeatureProducer;
import dev.quiver.materializer.Materializer;
import dev.quiver.materializer.MaterializerConfig;
import dev.quiver.offline.OfflineStore;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.RegistrySnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Produce-to-readable latency: events are produced at a steady rate (default 20k/s) for a while;
 * one in every {@code sampleEvery} is timed from just before {@code send} until the online store
 * returns it (the value of its entity is at least that event's). Everything runs in one JVM: broker,
 * producer, materializer (both stores) and the checker. Args: {@code [rate=20000] [seconds=60] [flushAgeMillis=5000]}.
 */
public final class ProduceToOnlineLatency {
  private ProduceToOnlineLatency() {}

  record Sample(long driver, long trips, long sentNanos) {}

  public static void main(String[] args) throws Exception {
    int rate = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    Duration flushAge = Duration.ofMillis(args.length > 2 ? Long.parseLong(args[2]) : 5_000);
    int sampleEvery = 50;
    int drivers = 10_000;
    Path work = Files.createTempDirectory("quiver-latency-");
    RegistrySnapshot reg = BenchViews.registry();
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().withDataDir(work.resolve("kafka")).build().start();
         OnlineStore online = OnlineStore.open(work.resolve("online"), reg);
         OfflineStore offline = OfflineStore.open(work.resolve("offline"), reg)) {
      kafka.createTopic(BenchViews.TOPIC, 3);
      SimpleMeterRegistry meters = new SimpleMeterRegistry();
      Materializer m = Materializer.create(MaterializerConfig.builder().withMeterRegistry(meters)
          .withBootstrapServers(kafka.bootstrapServers()).withGroupId("latency").withRegistry(reg)
          .withOnlineSink(online).withOfflineSink(offline).withFlushAge(flushAge)
          .withConsumerProperty("fetch.max.wait.ms", "10").build()).start();
      ConcurrentLinkedQueue<Sample> pending = new ConcurrentLinkedQueue<>();
      Histogram hist = new Histogram(60_000_000_000L, 3);
      Thread checker = new Thread(() -> check(online, pending, hist), "checker");
      checker.setDaemon(true);
      try (FeatureProducer p = FeatureProducer.builder().withBootstrapServers(kafka.bootstrapServers())
          .withRegistry(reg).withLinger(Duration.ofMillis(2)).build()) {
        // Warm-up: 5 s at the rate, not measured.
        long total = (long) rate * (seconds + 5);
        long warm = (long) rate * 5;
        long t0 = System.nanoTime();
        checker.start();
        for (long i = 0; i < total; i++) {
          long due = t0 + i * 1_000_000_000L / rate;
          while (System.nanoTime() < due) {
            LockSupport.parkNanos(50_000);
          }
          Map<String, Object> r = BenchViews.row(i, drivers);
          r.put("event_timestamp", Instant.now());
          long sent = System.nanoTime();
          p.send(BenchViews.VIEW, r, Instant.now());
          if (i >= warm && i % sampleEvery == 0) {
            pending.add(new Sample(i % drivers, i, sent));
          }
        }
        p.flush();
        double achieved = total / ((System.nanoTime() - t0) / 1e9);
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        System.out.printf("rate %.0f events/s for %d s (+5 s warm-up), offline flush age %s, %d samples, %d not seen%n",
            achieved, seconds, flushAge, hist.getTotalCount(), pending.size());
        System.out.printf("produce -> readable online: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms%n",
            hist.getValueAtPercentile(50) / 1e6, hist.getValueAtPercentile(90) / 1e6,
            hist.getValueAtPercentile(99) / 1e6, hist.getValueAtPercentile(99.9) / 1e6, hist.getMaxValue() / 1e6);
      }
      Timer writes = meters.get("quiver.materializer.online.write").timer();
      System.out.printf("online writes: %d, mean %.1f ms, max (last minute) %.1f ms%n", writes.count(),
          writes.mean(TimeUnit.MILLISECONDS), writes.max(TimeUnit.MILLISECONDS));
      for (Timer t : meters.get("quiver.materializer.flush").timers()) {
        System.out.printf("offline flushes: %d, mean %.1f ms, max (last minute) %.1f ms%n", t.count(),
            t.mean(TimeUnit.MILLISECONDS), t.max(TimeUnit.MILLISECONDS));
      }
      Timer waits = meters.find("quiver.materializer.flush.wait").timer();
      System.out.printf("consumer waits for a flush (back-pressure): %d, total %.1f s%n",
          waits == null ? 0 : waits.count(), waits == null ? 0.0 : waits.totalTime(TimeUnit.SECONDS));
      m.shutdown();
    }
  }

  /** Polls the online store for the oldest pending sample until its value (or a newer one) is readable. */
  static void check(OnlineStore online, ConcurrentLinkedQueue<Sample> pending, Histogram hist) {
    while (true) {
      Sample s = pending.peek();
      if (s == null) {
        LockSupport.parkNanos(1_000_000);
        continue;
      }
      Object trips = online.get(List.of(BenchViews.VIEW + ":trips"), Map.of("driver_id", List.of(s.driver())),
          Instant.now()).value(0, 0).value();
      if (trips != null && (Long) trips >= s.trips()) {
        hist.recordValue(Math.min(System.nanoTime() - s.sentNanos(), 59_999_999_999L));
        pending.poll();
      } else {
        LockSupport.parkNanos(1_000_000);
      }
    }
  }
}
