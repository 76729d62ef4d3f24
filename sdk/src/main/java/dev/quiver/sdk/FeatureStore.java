package dev.quiver.sdk;

import dev.quiver.materializer.BatchMaterializer;
import dev.quiver.offline.OfflineStore;
import dev.quiver.offline.Spine;
import dev.quiver.online.EntityRows;
import dev.quiver.online.FeatureValue;
import dev.quiver.online.OnlineFeatures;
import dev.quiver.online.OnlineStore;
import dev.quiver.online.PushRequest;
import dev.quiver.online.PushTarget;
import dev.quiver.registry.FeatureRepo;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.LocalFileRegistryStore;
import dev.quiver.registry.QuiverException;
import dev.quiver.registry.RegistryPlan;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.ResolvedFeature;
import dev.quiver.registry.UserInputException;
import dev.quiver.sdk.internal.PushProducer;
import dev.quiver.sdk.internal.PushValidation;
import dev.quiver.sdk.internal.ServeState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Quiver SDK: one feature repo (its {@code quiver.yaml} settings and YAML definitions) with its
 * registry, online store (RocksDB), offline store (Parquet) and Kafka.
 *
 * <pre>{@code
 * try (FeatureStore store = FeatureStore.open(Path.of("my_repo"))) {
 *   store.apply(false);
 *   store.push("driver_hourly_stats", List.of(Map.of("driver_id", 1001, "event_timestamp", Instant.now(),
 *       "conv_rate", 0.5f)));
 *   OnlineResult r = store.getOnlineFeatures("driver_ranking", Map.of("driver_id", List.of(1001)));
 *   store.getHistoricalFeatures(Path.of("spine.parquet"), "driver_ranking").toParquet(Path.of("train.parquet"));
 * }
 * }</pre>
 *
 * <p>Components open lazily, when first needed: a lookup opens only the online store (no Kafka);
 * a push opens only a producer. The online store is RocksDB, which one process holds at a time:
 * while {@code quiver serve} runs on the repo, look up through {@link RemoteFeatureStore} or through
 * the serving process's own {@code FeatureStore}. The registry is re-read when its file changes
 * (checked at most once a second). Thread-safe.
 */
public final class FeatureStore implements OnlineFeatureLookup, AutoCloseable {
  private static final long REGISTRY_CHECK_NANOS = 1_000_000_000L;

  private final QuiverConfig config;
  private final Clock clock;
  private final LocalFileRegistryStore registryStore;

  private final Object lock = new Object();
  private volatile RegistrySnapshot registry;
  private volatile long registryCheckedNanos;
  private FileTime registryTime;
  private long registrySize = -1;
  private OnlineStore online;
  private OfflineStore offline;
  private final PushValidation pushValidation;
  private PushProducer producer;
  private String producerServers;
  private volatile FeatureServer server;
  private boolean starting;
  private boolean closed;

  private FeatureStore(QuiverConfig config, Clock clock) {
    this.config = Objects.requireNonNull(config, "config");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.registryStore = new LocalFileRegistryStore(config.registryPath());
    this.pushValidation = new PushValidation(clock, config.maxFutureSkew());
  }

  /**
   * Opens the feature repo at {@code repo}: reads {@code quiver.yaml} (defaults when absent).
   * Nothing else is opened yet.
   *
   * @throws dev.quiver.registry.InvalidDefinitionException naming the key of a bad setting
   */
  public static FeatureStore open(Path repo) {
    return open(repo, Clock.systemUTC());
  }

  /** Like {@link #open(Path)}, with the clock that lookups, pushes and consistency checks read. */
  public static FeatureStore open(Path repo, Clock clock) {
    if (!Files.isDirectory(repo)) {
      throw new UserInputException("Cannot open feature repo " + repo + ": not a folder");
    }
    return new FeatureStore(QuiverConfig.load(repo), clock);
  }

  /** Opens a repo with given settings. */
  public static FeatureStore open(QuiverConfig config) {
    return new FeatureStore(config, Clock.systemUTC());
  }

  /**
   * Opens a repo with given settings and clock: the one "now" of lookups (in process and over
   * {@link #serve()}'s HTTP server), the materializer (flush age, future skew, freshness), apply's
   * version stamps and consistency checks.
   */
  public static FeatureStore open(QuiverConfig config, Clock clock) {
    return new FeatureStore(config, clock);
  }

  public QuiverConfig config() {
    return config;
  }

  Clock clock() {
    return clock;
  }

  // ------------------------------------------------------------------------------ registry

  /** The registry as last committed (re-read when the file changed, at most once a second). */
  public RegistrySnapshot registry() {
    RegistrySnapshot r = registry;
    if (r == null || System.nanoTime() - registryCheckedNanos > REGISTRY_CHECK_NANOS) {
      return refreshRegistry();
    }
    return r;
  }

  /** Re-reads the registry file now if it changed; returns the current snapshot. */
  public RegistrySnapshot refreshRegistry() {
    synchronized (lock) {
      FileTime t;
      long size;
      try {
        t = Files.getLastModifiedTime(registryStore.file());
        size = Files.size(registryStore.file());
      } catch (IOException e) {
        t = null;
        size = -1;
      }
      if (registry == null || !Objects.equals(t, registryTime) || size != registrySize) {
        RegistrySnapshot next = registryStore.load();
        if (registry == null || next.version() != registry.version()) {
          registry = next;
          if (online != null && !online.isClosed()) {
            online.useRegistry(next);
          }
        }
        registryTime = t;
        registrySize = size;
      }
      registryCheckedNanos = System.nanoTime();
      return registry;
    }
  }

  /** What {@link #apply} would change: the repo's definitions against the registry. */
  public RegistryPlan plan() {
    return RegistryPlan.between(registryStore.load(), FeatureRepo.open(config.repo()).definitions());
  }

  /**
   * Commits the repo's definitions to the registry (a no-op when nothing changed).
   *
   * @param allowBreaking apply breaking changes to views that registered services use
   * @throws dev.quiver.registry.IncompatibleChangeException naming the services when refused
   */
  public RegistrySnapshot apply(boolean allowBreaking) {
    RegistryPlan plan = plan();
    if (plan.isEmpty()) {
      return plan.base();
    }
    plan.apply(registryStore, clock.instant().truncatedTo(ChronoUnit.MILLIS), allowBreaking);
    return refreshRegistry();
  }

  // ------------------------------------------------------------------------------ online

  /** The online store, opened on first use. */
  OnlineStore onlineStore() {
    synchronized (lock) {
      checkOpen();
      if (online == null) {
        RegistrySnapshot r = registry();
        try {
          online = OnlineStore.builder(config.onlinePath(), r).withClock(clock).open();
        } catch (RuntimeException e) {
          String why = e.getMessage() != null && e.getMessage().startsWith("Cannot ") ? e.getMessage()
              : "Cannot open online store " + config.onlinePath() + ": " + e.getMessage();
          throw new QuiverException(why + ServeState.read(config.stateDir())
                  .map(s -> " (a running `quiver serve` or `quiver materialize --stream` holds it, pid " + s.pid()
                      + (s.url() == null ? ")" : "; look up over HTTP at " + s.url() + " instead)"))
                  .orElse(""), e);
        }
      }
      return online;
    }
  }

  @Override
  public OnlineResult getOnlineFeatures(List<String> featureRefs, Map<String, ? extends List<?>> entities) {
    return lookup(registry().resolveRefs(featureRefs), entities, clock.instant(), false);
  }

  @Override
  public OnlineResult getOnlineFeatures(String featureService, Map<String, ? extends List<?>> entities) {
    return lookup(registry().resolveService(featureService), entities, clock.instant(), false);
  }

  @Override
  public OnlineResult getOnlineFeatures(List<String> featureRefs, Map<String, ? extends List<?>> entities,
                                       Instant now, boolean fullFeatureNames) {
    return lookup(registry().resolveRefs(featureRefs), entities, now, fullFeatureNames);
  }

  @Override
  public List<List<Object>> sampleEntities(String view, int max, long seed) {
    return onlineStore().sampleEntities(registry().view(view).name(), max, seed);
  }

  private OnlineResult lookup(List<ResolvedFeature> features, Map<String, ? extends List<?>> entities, Instant now,
                              boolean fullNames) {
    Map<String, List<Object>> typed = coerceKeys(registry(), entities);
    OnlineFeatures r = onlineStore().get(features, EntityRows.columns(typed), now);
    List<String> names = new ArrayList<>(features.size());
    features.forEach(f -> names.add(f.columnName(fullNames)));
    FeatureValue[] values = new FeatureValue[r.entityCount() * features.size()];
    for (int i = 0; i < r.entityCount(); i++) {
      for (int j = 0; j < features.size(); j++) {
        values[i * features.size() + j] = r.value(i, j);
      }
    }
    return new OnlineResult(typed, names, values, r.entityCount());
  }

  /**
   * Entity values typed by the registry's join keys of that name (so {@code "1001"} or an Integer
   * fits an INT64 key); names no view uses pass unchanged.
   */
  static Map<String, List<Object>> coerceKeys(RegistrySnapshot registry, Map<String, ? extends List<?>> entities) {
    Map<String, List<Object>> out = new LinkedHashMap<>();
    entities.forEach((name, values) -> {
      if (values == null) {
        throw new UserInputException("Cannot read entities: entities." + name + " is null, expected a list");
      }
      dev.quiver.registry.ValueType type = null;
      for (var e : registry.definitions().entities().values()) {
        for (var k : e.joinKeys()) {
          if (k.name().equals(name)) {
            type = k.type();
          }
        }
      }
      List<Object> col = new ArrayList<>(values.size());
      for (int i = 0; i < values.size(); i++) {
        Object v = values.get(i);
        if (type != null && v != null) {
          try {
            v = type.coerce(v);
          } catch (IllegalArgumentException e) {
            throw new UserInputException("Cannot read entities: entities." + name + "[" + i + "]: " + e.getMessage());
          }
        }
        col.add(v);
      }
      out.put(name, col);
    });
    return out;
  }

  // ------------------------------------------------------------------------------ push

  /** {@link #push(String, List, PushTarget)} to the online and offline stores. */
  public int push(String view, List<? extends Map<String, ?>> rows) {
    return push(view, rows, PushTarget.ONLINE_AND_OFFLINE);
  }

  /**
   * Validates rows against the view's current schema, then produces them to the view's topic;
   * returns once the broker acknowledged every row. A bad row sends nothing. Each row holds the
   * join keys, {@code event_timestamp} (an {@link Instant} or ISO-8601 text, not a bare number; at
   * or after 1970 and at most {@code materializer.max_future_skew} past this store's clock) and any
   * of the features (absent or null = no value).
   *
   * @param to where the materializer writes the rows (header {@code quiver.to}); {@code ONLINE} to
   *     a view with {@code online: false} (or {@code OFFLINE} to one with {@code offline: false}) is
   *     refused; {@code ONLINE_AND_OFFLINE} writes the sides the view has
   * @return the number of rows sent
   * @throws UserInputException "Cannot push row N to feature view V: column C: ..." for a bad row
   * @throws dev.quiver.registry.NoSuchFeatureViewException when the view is unknown
   */
  public int push(String view, List<? extends Map<String, ?>> rows, PushTarget to) {
    return push(view, rows, to, 0);
  }

  /** Like {@link #push(String, List, PushTarget)}, numbering rows from {@code firstRow} in messages. */
  public int push(String view, List<? extends Map<String, ?>> rows, PushTarget to, long firstRow) {
    List<PushProducer.Encoded> records = pushValidation.encode(registry(), view, rows, firstRow, to);
    if (!records.isEmpty()) {
      producer().sendAll(records, to);
    }
    return records.size();
  }

  /**
   * Checks rows exactly as {@link #push(String, List, PushTarget)} does, sending nothing (e.g. every
   * row of a file before its first chunk is sent).
   *
   * @throws UserInputException naming the row and column, as {@code push} would
   */
  public void validatePush(String view, List<? extends Map<String, ?>> rows, PushTarget to) {
    pushValidation.encode(registry(), view, rows, 0, to);
  }

  /**
   * Pushes a {@code POST /push} request: to its feature view, or to every view reading its push
   * source (a source name).
   */
  void push(PushRequest request) {
    List<Map<String, Object>> rows = new ArrayList<>(request.rowCount());
    for (int i = 0; i < request.rowCount(); i++) {
      Map<String, Object> row = new LinkedHashMap<>();
      for (var e : request.columns().entrySet()) {
        row.put(e.getKey(), e.getValue().get(i));
      }
      rows.add(row);
    }
    if (request.featureView() != null) {
      push(request.featureView(), rows, request.to());
      return;
    }
    RegistrySnapshot r = registry();
    List<String> views = r.definitions().views().values().stream()
        .filter(v -> v.source().equals(request.pushSourceName())).map(FeatureView::name).toList();
    if (views.isEmpty()) {
      throw new UserInputException("Cannot push: no feature view reads push source \""
          + request.pushSourceName() + "\" (sources: " + r.definitions().sources().keySet() + ")");
    }
    for (String v : views) {
      pushValidation.encode(r, v, rows, 0, request.to());
    }
    for (String v : views) {
      push(v, rows, request.to());
    }
  }

  private PushProducer producer() {
    synchronized (lock) {
      checkOpen();
      String servers = bootstrapServers();
      if (producer == null || !servers.equals(producerServers)) {
        if (producer != null) {
          producer.close();
        }
        producer = new PushProducer(servers);
        producerServers = servers;
      }
      return producer;
    }
  }

  /** The Kafka bootstrap servers: from quiver.yaml, or the embedded broker of a running serve. */
  String bootstrapServers() {
    if (!config.embeddedKafka()) {
      return config.bootstrapServers();
    }
    FeatureServer s = server;
    if (s != null && s.bootstrapServers() != null) {
      return s.bootstrapServers();
    }
    return ServeState.read(config.stateDir()).map(ServeState::bootstrapServers)
        .orElseThrow(() -> new UserInputException("Cannot push: kafka.bootstrap_servers is embedded and no "
            + "`quiver serve` is running on " + config.repo() + " (start it first, or set "
            + "kafka.bootstrap_servers in quiver.yaml)"));
  }

  // ------------------------------------------------------------------------------ offline

  /** The offline store, opened on first use. */
  OfflineStore offlineStore() {
    synchronized (lock) {
      checkOpen();
      if (offline == null) {
        offline = OfflineStore.open(config.offlinePath(), this::registry);
      }
      return offline;
    }
  }

  /** A point-in-time-correct training set for a spine file (Parquet, or CSV by name) and feature refs. */
  public HistoricalFeatures getHistoricalFeatures(Path spine, List<String> featureRefs) {
    return new HistoricalFeatures(this, spine, null, featureRefs, null);
  }

  /** A training set for a spine file and the features of a service. */
  public HistoricalFeatures getHistoricalFeatures(Path spine, String featureService) {
    return new HistoricalFeatures(this, spine, null, null, featureService);
  }

  /** A training set for a spine built in Java and feature refs. */
  public HistoricalFeatures getHistoricalFeatures(Spine spine, List<String> featureRefs) {
    return new HistoricalFeatures(this, null, spine, featureRefs, null);
  }

  /** A training set for a spine built in Java and the features of a service. */
  public HistoricalFeatures getHistoricalFeatures(Spine spine, String featureService) {
    return new HistoricalFeatures(this, null, spine, null, featureService);
  }

  /**
   * Rebuilds the export a manifest describes and checks it is byte-identical.
   *
   * @throws dev.quiver.offline.ReplayMismatchException naming the changed inputs when it is not
   */
  public dev.quiver.offline.ReplayReport replay(Path manifest) {
    if (!Files.isRegularFile(manifest)) {
      throw new UserInputException("Cannot replay export: manifest " + manifest + " does not exist");
    }
    return dev.quiver.offline.TrainingSetExport.replay(manifest, registry(), offlineStore(), config.repo(), null);
  }

  /**
   * Loads the events with {@code start <= event time < end} of the views (empty = every online
   * view) from the offline store or their Parquet sources into the online store, under the
   * ordering rule: re-running it changes nothing.
   */
  public BatchMaterializer.Result materialize(Instant start, Instant end, Collection<String> views) {
    return BatchMaterializer.builder()
        .withRegistry(registry())
        .withOnlineSink(onlineStore())
        .withOfflineStore(offlineStore())
        .withRepoDir(config.repo())
        .build()
        .materialize(start, end, views);
  }

  /**
   * Compares, for up to {@code sample} entities per view drawn from each store (so up to twice as
   * many in all), the online value, status and event time with the training set's at t = now
   * (this store's clock; the online side judges the ttl at the same t, also over HTTP); every
   * difference is reported, and the entities one store holds and the other lacks.
   *
   * @param views the views to check (empty = every online and offline view)
   * @param online where online values come from: this store, or a {@link RemoteFeatureStore} while serving
   */
  public ConsistencyReport checkConsistency(Collection<String> views, int sample, OnlineFeatureLookup online) {
    return new ConsistencyCheck(this, online).run(views, sample);
  }

  // ------------------------------------------------------------------------------ serving

  /**
   * Starts serving: with {@code kafka.bootstrap_servers: embedded} a broker in-process (its data
   * in {@code kafka.data_dir}), the topics of the registered views, the stream materializer and
   * the HTTP server ({@code server.host}/{@code server.port}). Returns once all run.
   */
  public FeatureServer serve() {
    return serve(true);
  }

  /** Like {@link #serve()}; without HTTP when {@code http} is false (materializer only). */
  public FeatureServer serve(boolean http) {
    synchronized (lock) {
      checkOpen();
      if (server != null || starting) {
        throw new IllegalStateException("Cannot serve " + config.repo() + ": already serving");
      }
      starting = true;
    }
    // Not under the lock: the materializer thread reads the registry (under the lock) while starting,
    // and a failed start waits for that thread to stop.
    try {
      FeatureServer s = FeatureServer.start(this, http);
      synchronized (lock) {
        server = s;
      }
      return s;
    } finally {
      synchronized (lock) {
        starting = false;
      }
    }
  }

  void serverStopped(FeatureServer s) {
    synchronized (lock) {
      if (server == s) {
        server = null;
      }
      if (producer != null) {
        // its broker may be gone
        producer.close();
        producer = null;
      }
    }
  }

  // ------------------------------------------------------------------------------ lifecycle

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("Cannot use feature store " + config.repo() + ": it is closed");
    }
  }

  /**
   * Stops serving (HTTP server, materializer with a flush), closes the producer and the stores,
   * then stops the embedded broker; idempotent.
   */
  @Override
  public void close() {
    FeatureServer s;
    synchronized (lock) {
      if (closed) {
        return;
      }
      s = server;
    }
    if (s != null) {
      s.stopServing();
    }
    synchronized (lock) {
      closed = true;
      if (producer != null) {
        producer.close();
        producer = null;
      }
      if (offline != null) {
        offline.close();
      }
      if (online != null) {
        online.close();
      }
    }
    if (s != null) {
      s.stopBroker();
    }
  }
}
