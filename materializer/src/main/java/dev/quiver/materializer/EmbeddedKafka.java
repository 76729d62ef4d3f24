package dev.quiver.materializer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;

/**
 * A real, single-node Kafka broker running inside this JVM in KRaft mode (one process acting as
 * broker and controller). Used by tests and by Quiver's local mode, so the whole pipeline runs on
 * one machine without Docker or ZooKeeper.
 *
 * <p>The data directory is formatted once (Kafka's storage {@code Formatter}) and reused: {@link
 * #stop()} then {@link #start()} restarts the same broker, with the same ports and the same data.
 * Internal topics (consumer offsets, transaction state, share-group state) use replication factor
 * 1, otherwise consumer groups never form on a single broker. Topics are auto-created on first
 * produce with {@link Builder#withDefaultPartitions} partitions.
 *
 * <p>Not thread-safe; start and stop it from one thread.
 */
public final class EmbeddedKafka implements AutoCloseable {
  public static final int DEFAULT_PARTITIONS = 3;

  private final Path dataDir;
  private final boolean deleteOnClose;
  private final int brokerPort;
  private final int controllerPort;
  private final int defaultPartitions;
  private final Map<String, String> overrides;
  private KafkaRaftServer server;

  private EmbeddedKafka(Builder b) {
    try {
      this.deleteOnClose = b.dataDir == null;
      this.dataDir = b.dataDir != null ? b.dataDir : Files.createTempDirectory("quiver-kafka-");
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create Kafka data directory: " + b.dataDir, e);
    }
    this.brokerPort = b.brokerPort > 0 ? b.brokerPort : freePort();
    this.controllerPort = b.controllerPort > 0 ? b.controllerPort : freePort();
    this.defaultPartitions = b.defaultPartitions;
    this.overrides = Map.copyOf(b.overrides);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Starts a broker on free ports with a temporary data directory (deleted on close). */
  public static EmbeddedKafka startTemporary() {
    return builder().build().start();
  }

  /**
   * Formats the data directory (first start only) and starts the broker; returns once it serves
   * requests.
   *
   * @throws IllegalStateException when already running or the broker fails to start
   */
  public synchronized EmbeddedKafka start() {
    if (server != null) {
      throw new IllegalStateException("Cannot start Kafka: already running on " + bootstrapServers());
    }
    Properties props = brokerProperties();
    KafkaConfig config = new KafkaConfig(props, false);
    if (!Files.exists(dataDir.resolve("meta.properties"))) {
      format(config);
    }
    KafkaRaftServer s = new KafkaRaftServer(config, Time.SYSTEM);
    try {
      s.startup();
    } catch (RuntimeException e) {
      s.shutdown();
      throw new IllegalStateException("Cannot start Kafka in " + dataDir + ": " + e.getMessage(), e);
    }
    server = s;
    awaitReady();
    return this;
  }

  /** Stops the broker (data kept); a no-op when not running. */
  public synchronized void stop() {
    if (server != null) {
      KafkaRaftServer s = server;
      server = null;
      s.shutdown();
      s.awaitShutdown();
    }
  }

  public synchronized boolean isRunning() {
    return server != null;
  }

  /** {@code localhost:<port>} of the broker listener (stable across restarts). */
  public String bootstrapServers() {
    return "localhost:" + brokerPort;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** Creates a topic (no-op if it exists). */
  public void createTopic(String topic, int partitions) {
    createTopic(topic, partitions, Map.of());
  }

  /** Creates a topic with topic configs, e.g. {@code cleanup.policy=compact} (no-op if it exists). */
  public void createTopic(String topic, int partitions, Map<String, String> configs) {
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1).configs(configs)))
          .all().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException("Cannot create topic " + topic + ": " + e.getCause().getMessage(), e);
      }
    } catch (Exception e) {
      throw new IllegalStateException("Cannot create topic " + topic + ": " + e.getMessage(), e);
    }
  }

  /** An admin client for this broker; the caller closes it. */
  public Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    return Admin.create(p);
  }

  /** Stops the broker and, for a temporary broker, deletes its data. */
  @Override
  public void close() {
    stop();
    if (deleteOnClose) {
      deleteRecursively(dataDir);
    }
  }

  private Properties brokerProperties() {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@localhost:" + controllerPort);
    p.put("listeners", "PLAINTEXT://localhost:" + brokerPort + ",CONTROLLER://localhost:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://localhost:" + brokerPort);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", dataDir.toAbsolutePath().toString());
    p.put("num.partitions", String.valueOf(defaultPartitions));
    p.put("auto.create.topics.enable", "true");
    // One broker: every internal topic must live with a single replica.
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "5");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "5");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("default.replication.factor", "1");
    p.put("min.insync.replicas", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
    p.put("num.network.threads", "2");
    p.put("num.io.threads", "4");
    p.put("log.cleaner.dedupe.buffer.size", String.valueOf(2 * 1024 * 1024));
    p.put("controlled.shutdown.enable", "true");
    p.put("log.segment.bytes", String.valueOf(64 * 1024 * 1024));
    // Broker and controller live and die together: after a kill the restarted controller waits out
    // the dead incarnation's broker session before the broker may register (9 s by default).
    p.put("broker.session.timeout.ms", "3000");
    p.put("broker.heartbeat.interval.ms", "500");
    p.putAll(overrides);
    return p;
  }

  private void format(KafkaConfig config) {
    try (PrintStream quiet = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8)) {
      new Formatter()
          .setPrintStream(quiet)
          .setNodeId(config.nodeId())
          .setClusterId(Uuid.randomUuid().toString())
          .setControllerListenerName("CONTROLLER")
          .setMetadataLogDirectory(dataDir.toAbsolutePath().toString())
          .setDirectories(List.of(dataDir.toAbsolutePath().toString()))
          .run();
    } catch (Exception e) {
      throw new IllegalStateException("Cannot format Kafka storage in " + dataDir + ": " + e.getMessage(), e);
    }
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try (Admin admin = admin()) {
        if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
          return;
        }
      } catch (Exception e) {
        last = e;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Cannot start Kafka: interrupted", e);
      }
    }
    throw new IllegalStateException("Cannot start Kafka: broker not ready after 60 s", last);
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot find a free port", e);
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort for a temporary directory
    }
  }

  /** Options of an embedded broker. */
  public static final class Builder {
    private Path dataDir;
    private int brokerPort;
    private int controllerPort;
    private int defaultPartitions = DEFAULT_PARTITIONS;
    private final Map<String, String> overrides = new java.util.HashMap<>();

    private Builder() {}

    /** Where the broker keeps its logs and metadata; kept on close. Default: a temp dir, deleted on close. */
    public Builder withDataDir(Path dir) {
      this.dataDir = dir;
      return this;
    }

    /** The client port; default a free port. */
    public Builder withBrokerPort(int port) {
      this.brokerPort = port;
      return this;
    }

    /** The KRaft controller port; default a free port. */
    public Builder withControllerPort(int port) {
      this.controllerPort = port;
      return this;
    }

    /** Partitions of auto-created topics; default {@value #DEFAULT_PARTITIONS}. */
    public Builder withDefaultPartitions(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("Cannot use partitions " + n + ": must be at least 1");
      }
      this.defaultPartitions = n;
      return this;
    }

    /** Any broker property, applied last. */
    public Builder withBrokerProperty(String key, String value) {
      overrides.put(key, value);
      return this;
    }

    public EmbeddedKafka build() {
      return new EmbeddedKafka(this);
    }
  }
}
