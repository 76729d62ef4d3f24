package dev.quiver.materializer;

import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import dev.quiver.registry.UserInputException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Sends feature rows to their views' topics in Quiver's wire format ({@link EventEncoder}): the
 * producer side of the materializer (the SDK's push path wraps it). Idempotent producer, acks=all.
 * Thread-safe.
 */
public final class FeatureProducer implements AutoCloseable {
  /** Where a row went. */
  public record Sent(String topic, int partition, long offset) {}

  private final Supplier<RegistrySnapshot> registry;
  private final KafkaProducer<byte[], byte[]> producer;
  private final Map<Long, EventEncoder> encoders = new ConcurrentHashMap<>();

  private FeatureProducer(Builder b) {
    this.registry = b.registry;
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.LINGER_MS_CONFIG, String.valueOf(b.linger.toMillis()));
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.CLIENT_ID_CONFIG, b.clientId);
    p.putAll(b.extra);
    this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Sends a row of the view's current version; the created time is the record's timestamp. */
  public CompletableFuture<Sent> send(String view, Map<String, ?> row) {
    return send(view, row, null);
  }

  /**
   * Sends a row of the view's current version.
   *
   * @param createdAt the created time (header {@code created_ts}), or null for the record time
   * @throws dev.quiver.registry.UserInputException naming the column when the row is wrong
   * @throws dev.quiver.registry.NoSuchFeatureViewException when the view is unknown
   */
  public CompletableFuture<Sent> send(String view, Map<String, ?> row, Instant createdAt) {
    RegistrySnapshot snapshot = registry.get();
    return send(topicOf(snapshot, view), snapshot.currentVersion(view), row, createdAt);
  }

  /** Sends a row encoded with a given (possibly older) version of a view to that view's topic. */
  public CompletableFuture<Sent> send(FeatureViewVersion version, Map<String, ?> row, Instant createdAt) {
    return send(topicOf(registry.get(), version.view()), version, row, createdAt);
  }

  private static String topicOf(RegistrySnapshot snapshot, String view) {
    Source src = snapshot.source(view);
    if (src.kind() != Source.Kind.KAFKA) {
      throw new UserInputException("Cannot send to feature view " + view + ": its source " + src.name()
          + " is a Parquet batch source, not a Kafka topic");
    }
    return src.topicFor(view);
  }

  private CompletableFuture<Sent> send(String topic, FeatureViewVersion version, Map<String, ?> row, Instant createdAt) {
    EventEncoder enc = encoders.computeIfAbsent(version.fingerprint(), fp -> EventEncoder.of(version));
    byte[] key = enc.key(row);
    byte[] value = enc.value(row);
    ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(topic, key, value);
    if (createdAt != null) {
      rec.headers().add(EventEncoder.CREATED_TS_HEADER, EventEncoder.createdHeader(createdAt));
    }
    CompletableFuture<Sent> f = new CompletableFuture<>();
    producer.send(rec, (md, e) -> {
      if (e != null) {
        f.completeExceptionally(e);
      } else {
        f.complete(new Sent(md.topic(), md.partition(), md.offset()));
      }
    });
    return f;
  }

  /** Blocks until every row sent so far is acknowledged (or failed). */
  public void flush() {
    producer.flush();
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(30));
  }

  /** Options of a {@link FeatureProducer}. */
  public static final class Builder {
    public static final Duration DEFAULT_LINGER = Duration.ofMillis(5);
    private String bootstrapServers;
    private Supplier<RegistrySnapshot> registry;
    private Duration linger = DEFAULT_LINGER;
    private String clientId = "quiver-producer";
    private final Map<String, String> extra = new HashMap<>();

    private Builder() {}

    public Builder withBootstrapServers(String servers) {
      this.bootstrapServers = servers;
      return this;
    }

    /** Where view definitions come from; read on every send (so newly applied views work). */
    public Builder withRegistry(Supplier<RegistrySnapshot> registry) {
      this.registry = registry;
      return this;
    }

    public Builder withRegistry(RegistrySnapshot snapshot) {
      Objects.requireNonNull(snapshot, "snapshot");
      return withRegistry(() -> snapshot);
    }

    public Builder withLinger(Duration linger) {
      this.linger = linger;
      return this;
    }

    public Builder withClientId(String clientId) {
      this.clientId = clientId;
      return this;
    }

    /** Any other Kafka producer property. */
    public Builder withProducerProperty(String key, String value) {
      extra.put(key, value);
      return this;
    }

    public FeatureProducer build() {
      if (bootstrapServers == null || bootstrapServers.isBlank()) {
        throw new IllegalArgumentException("Cannot build feature producer: bootstrap servers are not set");
      }
      if (registry == null) {
        throw new IllegalArgumentException("Cannot build feature producer: registry is not set");
      }
      return new FeatureProducer(this);
    }
  }
}
