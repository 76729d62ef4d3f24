package dev.quiver.benchmarks.materializer;

import dev.quiver.materializer.EmbeddedKafka;
import dev.quiver.materializer.EventEncoder;
import dev.quiver.materializer.Materializer;
import dev.quiver.materializer.MaterializerConfig;
import dev.quiver.offline.OfflineStore;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.RegistrySnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Catch-up throughput: N events (10 features) preloaded into a 3-partition topic of an in-process
 * broker; then, in the same run, a plain consumer reads the topic (no processing) and the
 * materializer catches up into a fresh RocksDB online store and Parquet offline store.
 * Args: {@code [events=2000000] [workDir]}.
 */
public final class MaterializerCatchUp {
  private MaterializerCatchUp() {}

  public static void main(String[] args) throws Exception {
    long events = args.length > 0 ? Long.parseLong(args[0]) : 2_000_000L;
    Path work = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("quiver-catchup-");
    int partitions = 3;
    RegistrySnapshot reg = BenchViews.registry();
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().withDataDir(work.resolve("kafka")).build().start()) {
      kafka.createTopic(BenchViews.TOPIC, partitions);
      long t0 = System.nanoTime();
      preload(kafka.bootstrapServers(), reg, events);
      double preloadS = (System.nanoTime() - t0) / 1e9;
      System.out.printf("preload: %d events in %.1f s (%.0f/s)%n", events, preloadS, events / preloadS);
      Map<TopicPartition, Long> ends = BenchViews.endOffsets(kafka.bootstrapServers(), BenchViews.TOPIC, partitions);

      long t1 = System.nanoTime();
      long read = plainConsume(kafka.bootstrapServers(), events);
      double plainS = (System.nanoTime() - t1) / 1e9;
      System.out.printf("plain consumer: %d records in %.2f s = %.0f records/s%n", read, plainS, read / plainS);

      try (OnlineStore online = OnlineStore.open(work.resolve("online"), reg);
           OfflineStore offline = OfflineStore.open(work.resolve("offline"), reg)) {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        long t2 = System.nanoTime();
        Materializer m = Materializer.create(MaterializerConfig.builder()
            .withBootstrapServers(kafka.bootstrapServers()).withGroupId("bench").withRegistry(reg)
            .withOnlineSink(online).withOfflineSink(offline).withOnRegistryChange(online::useRegistry)
            .withFlushSize(200_000).withFlushAge(Duration.ofSeconds(5)).withMeterRegistry(meters).build()).start();
        while (!BenchViews.drained(online, offline, "bench", ends)) {
          Thread.sleep(50);
        }
        double matS = (System.nanoTime() - t2) / 1e9;
        m.shutdown();
        System.out.printf("materializer: %d events into both stores in %.2f s = %.0f events/s%n", events, matS,
            events / matS);
        System.out.printf("ratio materializer / plain consumer: %.2f%n", (events / matS) / (read / plainS));
        Timer onlineWrites = meters.get("quiver.materializer.online.write").timer();
        Timer flushes = meters.get("quiver.materializer.flush").timer();
        System.out.printf("of which: online writes %d taking %.2f s, offline flushes %d taking %.2f s%n",
            onlineWrites.count(), onlineWrites.totalTime(TimeUnit.SECONDS), flushes.count(),
            flushes.totalTime(TimeUnit.SECONDS));
      }
    }
  }

  static void preload(String bootstrap, RegistrySnapshot reg, long events) {
    EventEncoder enc = EventEncoder.of(reg.currentVersion(BenchViews.VIEW));
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("linger.ms", "20");
    p.put("batch.size", String.valueOf(256 * 1024));
    p.put("compression.type", "lz4");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (long i = 0; i < events; i++) {
        Map<String, Object> r = BenchViews.row(i, 100_000);
        ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(BenchViews.TOPIC, enc.key(r), enc.value(r));
        rec.headers().add(EventEncoder.CREATED_TS_HEADER, EventEncoder.createdHeader(BenchViews.created(i)));
        producer.send(rec);
      }
      producer.flush();
    }
  }

  static long plainConsume(String bootstrap, long expected) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("group.id", "plain");
    p.put("auto.offset.reset", "earliest");
    p.put("enable.auto.commit", "false");
    p.put("max.poll.records", "5000");
    long n = 0;
    long bytes = 0;
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(BenchViews.TOPIC));
      while (n < expected) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          n++;
          bytes += r.value().length;
        }
      }
    }
    return bytes > 0 ? n : n;
  }
}
