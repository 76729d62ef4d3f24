package dev.quiver.sdk.internal;

import dev.quiver.materializer.EventEncoder;
import dev.quiver.online.PushTarget;
import dev.quiver.registry.QuiverException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces rows encoded by {@link PushValidation} (Quiver's wire format, {@link EventEncoder}),
 * each record with the header {@value #TO_HEADER} = {@code online}, {@code offline} or
 * {@code online_and_offline}. Every row is checked and encoded before any is sent, so a bad row
 * sends nothing. Idempotent producer, acks=all. Thread-safe.
 */
public final class PushProducer implements AutoCloseable {
  /** The header naming where a pushed row goes (the materializer honors it). */
  public static final String TO_HEADER = dev.quiver.materializer.Materializer.TARGET_HEADER;

  /** One encoded record. */
  public record Encoded(String topic, byte[] key, byte[] value) {}

  private final KafkaProducer<byte[], byte[]> producer;
  private final String bootstrapServers;

  public PushProducer(String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "quiver-push");
    // fail in seconds, not minutes, when no broker answers
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Sends encoded records and waits until the broker acknowledged all of them. */
  public void sendAll(List<Encoded> records, PushTarget to) {
    byte[] target = to.wireName().getBytes(StandardCharsets.UTF_8);
    List<CompletableFuture<Void>> acks = new ArrayList<>(records.size());
    for (Encoded e : records) {
      ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(e.topic(), e.key(), e.value());
      rec.headers().add(TO_HEADER, target);
      CompletableFuture<Void> f = new CompletableFuture<>();
      try {
        producer.send(rec, (md, ex) -> {
          if (ex != null) {
            f.completeExceptionally(ex);
          } else {
            f.complete(null);
          }
        });
      } catch (RuntimeException ex) {
        throw failure(ex);
      }
      acks.add(f);
    }
    producer.flush();
    try {
      CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QuiverException("Cannot push: interrupted", e);
    } catch (ExecutionException e) {
      throw failure(e.getCause());
    }
  }

  private QuiverException failure(Throwable e) {
    return new QuiverException("Cannot push to Kafka at " + bootstrapServers + ": " + e.getMessage()
        + " (is the broker running? with kafka.bootstrap_servers: embedded, start `quiver serve` first)", e);
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(10));
  }
}
