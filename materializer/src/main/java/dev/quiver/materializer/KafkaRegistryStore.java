package dev.quiver.materializer;

import dev.quiver.registry.QuiverException;
import dev.quiver.registry.RegistryCodec;
import dev.quiver.registry.RegistryConflictException;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.RegistryStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TransactionAbortedException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A {@link RegistryStore} on a compacted, single-partition Kafka topic, for several machines sharing
 * one registry. Each record holds a whole snapshot ({@link RegistryCodec} bytes) under the one key
 * {@value #KEY}, so compaction keeps the latest; {@link #load()} reads the topic to its end and
 * decodes the last committed record.
 *
 * <p>Compare-and-swap: every commit runs in a Kafka transaction with the one transactional id
 * {@code quiver-registry-<topic>}. Starting it fences any other committer still in flight; the
 * committer then reads the topic to its end, checks that the latest version is the base of
 * {@code next}, and commits. A committer fenced in between fails with {@link
 * RegistryConflictException}, so of two concurrent commits on the same base exactly one wins.
 * The topic is created on first use (1 partition, {@code cleanup.policy=compact}, the broker's
 * default replication factor).
 */
public final class KafkaRegistryStore implements RegistryStore {
  public static final String DEFAULT_TOPIC = "quiver.registry";
  public static final String KEY = "snapshot";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final String bootstrapServers;
  private final String topic;
  private final TopicPartition partition;

  private KafkaRegistryStore(String bootstrapServers, String topic) {
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.partition = new TopicPartition(topic, 0);
    ensureTopic();
  }

  /** A store on {@value #DEFAULT_TOPIC}. */
  public static KafkaRegistryStore open(String bootstrapServers) {
    return open(bootstrapServers, DEFAULT_TOPIC);
  }

  public static KafkaRegistryStore open(String bootstrapServers, String topic) {
    return new KafkaRegistryStore(bootstrapServers, topic);
  }

  public String topic() {
    return topic;
  }

  /**
   * @throws dev.quiver.registry.CorruptRegistryException naming the topic and offset when the
   *     latest record is not a registry snapshot
   */
  @Override
  public RegistrySnapshot load() {
    try (KafkaConsumer<byte[], byte[]> c = consumer()) {
      return readLatest(c);
    }
  }

  @Override
  public void commit(RegistrySnapshot next) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "quiver-registry-" + topic);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(16 * 1024 * 1024));
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "quiver-registry-" + UUID.randomUUID());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
         KafkaConsumer<byte[], byte[]> c = consumer()) {
      producer.initTransactions();
      long current = readLatest(c).version();
      if (current != next.version() - 1) {
        throw conflict(next, current);
      }
      try {
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(topic, 0, KEY.getBytes(StandardCharsets.UTF_8), RegistryCodec.encode(next)));
        producer.commitTransaction();
      } catch (KafkaException e) {
        if (!fenced(e)) {
          throw e;
        }
        throw new RegistryConflictException("Cannot commit registry version " + next.version() + " to topic " + topic
            + ": registry changed since it was read; re-run plan (another commit started meanwhile)");
      }
    } catch (RegistryConflictException e) {
      throw e;
    } catch (KafkaException e) {
      throw new QuiverException("Cannot commit registry version " + next.version() + " to topic " + topic + ": "
          + e.getMessage(), e);
    }
  }

  /** Whether another committer's transaction fenced ours (our records never become visible). */
  private static boolean fenced(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      // Another committer's initTransactions aborted ours: the coordinator reports it as one of these.
      if (t instanceof ProducerFencedException || t instanceof InvalidProducerEpochException
          || t instanceof InvalidTxnStateException || t instanceof TransactionAbortedException) {
        return true;
      }
    }
    return false;
  }

  private RegistryConflictException conflict(RegistrySnapshot next, long current) {
    return new RegistryConflictException("Cannot commit registry version " + next.version() + " to topic " + topic
        + ": registry changed since it was read; re-run plan (it is at version " + current
        + ", the change was planned against version " + (next.version() - 1) + ")");
  }

  private RegistrySnapshot readLatest(KafkaConsumer<byte[], byte[]> c) {
    c.assign(List.of(partition));
    c.seekToBeginning(List.of(partition));
    long end = c.endOffsets(List.of(partition), TIMEOUT).get(partition);
    ConsumerRecord<byte[], byte[]> last = null;
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (c.position(partition, TIMEOUT) < end) {
      if (System.nanoTime() > deadline) {
        throw new QuiverException("Cannot read registry from topic " + topic + ": not at its end after " + TIMEOUT);
      }
      for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
        if (r.value() != null) {
          last = r;
        }
      }
    }
    if (last == null) {
      return RegistrySnapshot.empty();
    }
    return RegistryCodec.decode(last.value(), "topic " + topic + " offset " + last.offset());
  }

  private KafkaConsumer<byte[], byte[]> consumer() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(16 * 1024 * 1024));
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  private void ensureTopic() {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrapServers);
    try (Admin admin = Admin.create(p)) {
      NewTopic t = new NewTopic(topic, Optional.of(1), Optional.empty())
          .configs(Map.of("cleanup.policy", "compact", "max.message.bytes", String.valueOf(16 * 1024 * 1024)));
      admin.createTopics(List.of(t)).all().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new QuiverException("Cannot create registry topic " + topic + ": " + e.getCause().getMessage(), e);
      }
    } catch (Exception e) {
      throw new QuiverException("Cannot create registry topic " + topic + ": " + e.getMessage(), e);
    }
  }
}
