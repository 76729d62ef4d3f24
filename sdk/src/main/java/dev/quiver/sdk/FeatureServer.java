package dev.quiver.sdk;

import dev.quiver.materializer.EmbeddedKafka;
import dev.quiver.materializer.Materializer;
import dev.quiver.materializer.MaterializerConfig;
import dev.quiver.materializer.MaterializerStatus;
import dev.quiver.online.ComponentHealth;
import dev.quiver.online.OnlineServer;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.QuiverException;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import dev.quiver.sdk.internal.ServeState;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running {@link FeatureStore#serve()}: the embedded broker (with {@code kafka.bootstrap_servers:
 * embedded}), the stream materializer and the HTTP server, sharing the store's online and offline
 * stores. The registry file is watched (once a second): a view applied while serving gets its
 * topic and starts flowing. While it runs, {@code <state dir>/serve.json} tells other commands
 * the URL and the bootstrap servers ({@link ServeState}).
 *
 * <p>The embedded broker keeps its data in {@code kafka.data_dir} and its ports in
 * {@code <data dir>/../kafka-ports} (reused when free), so a second serve on the same repo finds
 * its topics, offsets and events again.
 *
 * <p>Shutdown order ({@link FeatureStore#close()}): HTTP server (no new pushes), materializer
 * (flushes the offline buffers and records positions), the store's producer, the stores, the
 * broker.
 */
public final class FeatureServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FeatureServer.class);

  private final FeatureStore store;
  private EmbeddedKafka broker;
  private String bootstrapServers;
  private Materializer materializer;
  private OnlineServer http;
  private ScheduledExecutorService watcher;
  private ServeState state;
  private final Set<String> topics = new HashSet<>();
  /** One registry for the HTTP server's and the materializer's meters: both on {@code /metrics}. */
  private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private volatile boolean closed;

  private FeatureServer(FeatureStore store) {
    this.store = store;
  }

  static FeatureServer start(FeatureStore store, boolean withHttp) {
    FeatureServer s = new FeatureServer(store);
    try {
      s.startAll(withHttp);
      return s;
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
  }

  private void startAll(boolean withHttp) {
    QuiverConfig config = store.config();
    Optional<ServeState> other = ServeState.read(config.stateDir());
    if (other.isPresent() && other.get().pid() != ProcessHandle.current().pid()) {
      throw new dev.quiver.registry.UserInputException("Cannot serve " + config.repo() + ": `quiver serve` already runs on it (pid "
          + other.get().pid() + (other.get().url() == null ? "" : ", " + other.get().url()) + ")");
    }
    RegistrySnapshot registry = store.refreshRegistry();
    OnlineStore online = store.onlineStore();
    if (config.embeddedKafka()) {
      int[] ports = ports(config.kafkaDataDir());
      broker = EmbeddedKafka.builder()
          .withDataDir(config.kafkaDataDir())
          .withDefaultPartitions(config.partitions())
          .withBrokerPort(ports[0])
          .withControllerPort(ports[1])
          .build()
          .start();
      bootstrapServers = broker.bootstrapServers();
    } else {
      bootstrapServers = config.bootstrapServers();
    }
    createTopics(registry);
    materializer = Materializer.create(MaterializerConfig.builder()
        .withBootstrapServers(bootstrapServers)
        .withGroupId(config.groupId())
        .withRegistry(store::registry)
        .withFreshRegistry(store::refreshRegistry)
        .withOnlineSink(online)
        .withOfflineSink(store.offlineStore())
        .withFlushSize(config.flushRows())
        .withFlushAge(config.flushAge())
        .withMaxFutureSkew(config.maxFutureSkew())
        .withOnRegistryChange(online::useRegistry)
        .withClock(store.clock())
        .withMeterRegistry(meters)
        // Static membership: a restarted server takes its partitions back at once instead of
        // waiting for its killed predecessor's session to time out.
        .withInstanceId(instanceId(config))
        .build()).start();
    if (withHttp) {
      http = OnlineServer.builder(online)
          .withHost(config.serverHost())
          .withPort(config.serverPort())
          .withMaxEntities(config.maxEntities())
          .withMaxBodyBytes(config.maxRequestBytes())
          .withPushHandler(store::push)
          .withClock(store.clock())
          .withMeterRegistry(meters)
          .withHealthCheck("materializer", this::materializerHealth)
          .start();
    }
    watcher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "quiver-registry-watcher");
      t.setDaemon(true);
      return t;
    });
    watcher.scheduleWithFixedDelay(this::watchRegistry, 1, 1, TimeUnit.SECONDS);
    state = new ServeState(ProcessHandle.current().pid(), url(), bootstrapServers);
    state.write(config.stateDir());
  }

  private void watchRegistry() {
    try {
      RegistrySnapshot r = store.refreshRegistry();
      createTopics(r);
    } catch (RuntimeException e) {
      LOG.warn("Cannot reload registry: {}", e.getMessage());
    }
  }

  private synchronized void createTopics(RegistrySnapshot registry) {
    if (closed) {
      return;
    }
    List<NewTopic> missing = new java.util.ArrayList<>();
    // The dead-letter topic up front too: a bad record must not wait for (or depend on) auto-creation.
    if (!topics.contains(MaterializerConfig.DEFAULT_DEAD_LETTER_TOPIC)) {
      missing.add(new NewTopic(MaterializerConfig.DEFAULT_DEAD_LETTER_TOPIC, Optional.of(1), Optional.empty()));
    }
    for (FeatureView v : registry.definitions().views().values()) {
      Source src = registry.source(v.name());
      if (src.kind() == Source.Kind.KAFKA) {
        String topic = src.topicFor(v.name());
        if (!topics.contains(topic)) {
          missing.add(new NewTopic(topic, Optional.of(store.config().partitions()), Optional.empty()));
        }
      }
    }
    if (missing.isEmpty()) {
      return;
    }
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
    try (Admin admin = Admin.create(p)) {
      for (NewTopic t : missing) {
        try {
          admin.createTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new QuiverException("Cannot create topic " + t.name() + " on " + bootstrapServers + ": "
                + e.getCause().getMessage(), e.getCause());
          }
        }
        topics.add(t.name());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new QuiverException("Cannot create topics on " + bootstrapServers + ": no answer in 30 s", e);
    }
  }

  /**
   * This server's static member id in the consumer group: the same on every restart of this repo's
   * server on this host (it names the online store the partitions' positions live in), different
   * for another repo or host, so several servers still split one group.
   */
  static String instanceId(QuiverConfig config) {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "localhost";
    }
    String where = host + "|" + config.onlinePath().toAbsolutePath().normalize();
    return "quiver-" + host + "-" + Integer.toHexString(where.hashCode());
  }

  /** The broker and controller ports of the embedded broker: the ones used last when still free. */
  private static int[] ports(Path dataDir) {
    Path file = dataDir.resolveSibling(dataDir.getFileName() + "-ports");
    int[] ports = null;
    try {
      if (Files.isRegularFile(file)) {
        String[] parts = Files.readString(file, StandardCharsets.UTF_8).trim().split("\\s+");
        ports = new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
        if (!free(ports[0]) || !free(ports[1])) {
          ports = null;
        }
      }
    } catch (IOException | RuntimeException e) {
      ports = null;
    }
    if (ports == null) {
      ports = new int[] {freePort(), freePort()};
      while (ports[1] == ports[0]) {
        ports[1] = freePort();
      }
      try {
        Files.createDirectories(file.getParent());
        Files.writeString(file, ports[0] + " " + ports[1] + "\n", StandardCharsets.UTF_8);
      } catch (IOException e) {
        // only a preference; the next start picks new ports
      }
    }
    return ports;
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new QuiverException("Cannot find a free port: " + e.getMessage(), e);
    }
  }

  /** The HTTP base URL, e.g. {@code http://127.0.0.1:6566}; null without HTTP. */
  public String url() {
    if (http == null) {
      return null;
    }
    String host = store.config().serverHost();
    if (host.equals("0.0.0.0")) {
      host = "127.0.0.1";
    }
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + http.port();
  }

  /** The HTTP port; -1 without HTTP. */
  public int port() {
    return http == null ? -1 : http.port();
  }

  /** The Kafka bootstrap servers in use (the embedded broker's, or quiver.yaml's). */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The materializer as {@code GET /health} shows it: down (503) when it failed or stopped. */
  private ComponentHealth materializerHealth() {
    if (materializer == null) {
      return new ComponentHealth(ComponentHealth.Status.DOWN, "not started", Map.of());
    }
    MaterializerStatus st = materializer.status();
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("state", st.state().name().toLowerCase(java.util.Locale.ROOT));
    info.put("lag", st.lag());
    info.put("dead_letters", st.deadLetters());
    info.put("partitions", new java.util.TreeSet<>(st.assignment()));
    ComponentHealth.Status status = switch (st.state()) {
      case RUNNING, STARTING -> ComponentHealth.Status.UP;
      case RETRYING -> ComponentHealth.Status.DEGRADED;
      case FAILED, STOPPED -> ComponentHealth.Status.DOWN;
    };
    String detail = st.detail() != null ? st.detail() : status == ComponentHealth.Status.DOWN ? "stopped" : null;
    return new ComponentHealth(status, detail, info);
  }

  /** Whether the materializer still runs (false after a sink failure; see the log). */
  public boolean isMaterializing() {
    return materializer != null && materializer.isRunning();
  }

  /** Why the materializer stopped on its own, if it did. */
  public Optional<Throwable> materializerFailure() {
    return materializer == null ? Optional.empty() : materializer.failure();
  }

  /**
   * Stops the HTTP server, the materializer (flushing), the store's producer and the broker;
   * idempotent. The stores stay open: they belong to the {@link FeatureStore} ({@link
   * FeatureStore#close()} stops serving, closes the stores, then stops the broker).
   */
  @Override
  public void close() {
    stopServing();
    stopBroker();
  }

  /** HTTP server, materializer (flushing), then the store's producer. */
  void stopServing() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (watcher != null) {
      watcher.shutdownNow();
    }
    if (http != null) {
      try {
        http.close();
      } catch (RuntimeException e) {
        LOG.warn("Cannot stop HTTP server cleanly: {}", e.getMessage());
      }
    }
    if (materializer != null && !materializer.shutdown(Duration.ofSeconds(60))) {
      LOG.warn("The materializer did not stop within 60 s");
    }
    store.serverStopped(this);
  }

  /** The embedded broker last, then the note to other commands. */
  synchronized void stopBroker() {
    meters.close();
    if (broker != null) {
      broker.stop();
      broker = null;
    }
    if (state != null) {
      state.remove(store.config().stateDir());
      state = null;
    }
  }
}
