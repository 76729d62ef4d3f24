package dev.quiver.online;

import dev.quiver.online.internal.RocksDbCore;
import dev.quiver.online.internal.StoreEngine;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.OnlineSink;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.ResolvedFeature;
import dev.quiver.registry.Timestamps;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The online store: the latest value of every feature view per entity, in RocksDB, looked up in
 * process. Thread-safe: lookups run concurrently, writes are serialized. After {@link #close()}
 * every call throws {@link StoreClosedException}.
 *
 * <p>Storage: one RocksDB in {@code dir}; a column family {@code view.<name>} per feature view
 * (created when the view is first written) keyed by {@link dev.quiver.registry.EntityKeyCodec}
 * bytes, and a {@code meta} column family for {@link #write} metadata (UTF-8 key, caller bytes).
 *
 * <p>Key (format 1, {@link dev.quiver.registry.EntityKeyCodec}): {@code 0x01}, the number of join
 * keys, then per join key in the view's order its type tag and value (INT32/INT64 big-endian,
 * STRING/BYTES 4-byte big-endian length then bytes).
 *
 * <p>Value (format 2, {@link dev.quiver.online.internal.ValueCodec}), big-endian: {@code 0x02},
 * the entry count (4), then per entry, ascending in the ordering rule: event_ts micros (8),
 * created_ts micros (8, Long.MIN_VALUE = none), partition (4), offset (8), schema version (4), the
 * length of the features (4) and the Avro binary of that version's feature record. The entries are
 * the superseding one whose event time had come at the write and those superseding it whose time
 * was still ahead (the materializer bounds how far). Format 1 (one entry: {@code 0x01}, the five
 * header fields, the Avro record) is still read. Both formats and the key are pinned by golden
 * files under {@code src/test/resources/golden}.
 *
 * <p>Time: a lookup takes its {@code now}; a write prunes at the store's clock
 * ({@link Builder#withClock}), dropping entries that a later one whose time has come supersedes.
 */
public final class OnlineStore implements OnlineSink {
  public static final long DEFAULT_BLOCK_CACHE_BYTES = 256L * 1024 * 1024;

  private final StoreEngine engine;
  private final Clock clock;

  private OnlineStore(StoreEngine engine, Clock clock) {
    this.engine = engine;
    this.clock = clock;
  }

  /** Opens (creating when missing) a store in {@code dir} with default options. */
  public static OnlineStore open(Path dir, RegistrySnapshot registry) {
    return builder(dir, registry).open();
  }

  public static Builder builder(Path dir, RegistrySnapshot registry) {
    return new Builder(dir, registry);
  }

  /** The registry snapshot used to encode writes and decode older versions. */
  public RegistrySnapshot registry() {
    return engine.registry();
  }

  /** Swaps in a newer registry snapshot (atomically; lookups in flight finish with the old one). */
  public void useRegistry(RegistrySnapshot next) {
    engine.useRegistry(next);
  }

  /**
   * Looks up features for entities at time {@code now}. Each feature view takes the columns of
   * its own join keys from {@code entities}. Per entity the value read is the superseding one with
   * {@code event_ts <= now}, as the point-in-time join at {@code t = now} picks it: an accepted
   * event whose time is still ahead is not served before its time. Per entity and feature:
   * {@code PRESENT} with the value, {@code NULL_VALUE}, {@code NOT_FOUND} (also when every stored
   * event is still ahead of now), or {@code OUTSIDE_MAX_AGE} when the view's ttl
   * is positive and {@code now - event_ts > ttl} (a value exactly ttl old is still present).
   * Values written under an older version of a view are read as the version each feature was
   * resolved at.
   *
   * @throws dev.quiver.registry.UserInputException naming the entities field when a join key
   *     column is missing, has a null or a value of the wrong type
   */
  public OnlineFeatures get(List<ResolvedFeature> features, EntityRows entities, Instant now) {
    Objects.requireNonNull(now, "now");
    return engine.get(features, entities, now);
  }

  /** Resolves {@code view:feature} references against {@link #registry()} and looks them up. */
  public OnlineFeatures get(List<String> featureRefs, Map<String, ? extends List<?>> entities, Instant now) {
    return get(registry().resolveRefs(featureRefs), EntityRows.columns(entities), now);
  }

  /**
   * Looks up the features of a feature service (see {@link #get(List, EntityRows, Instant)}).
   *
   * @throws dev.quiver.registry.NoSuchFeatureServiceException naming the service
   */
  public OnlineFeatures getService(String featureService, EntityRows entities, Instant now) {
    return get(registry().resolveService(featureService), entities, now);
  }

  /**
   * Up to {@code max} distinct entities that hold a value of {@code view} (each its join-key values
   * in the view's join-key order), drawn reproducibly for a seed without reading the view: each is
   * the first key at or after a point drawn uniformly in the view's key range (so entities after a
   * gap in the key space are likelier). Fewer when the view holds fewer; empty when it holds none.
   *
   * @throws dev.quiver.registry.NoSuchFeatureViewException when the registry has no such view
   */
  public List<List<Object>> sampleEntities(String view, int max, long seed) {
    List<dev.quiver.registry.JoinKey> joinKeys = registry().currentVersion(view).joinKeys();
    List<List<Object>> out = new java.util.ArrayList<>();
    for (byte[] key : engine.core().sampleKeys(view, max, new java.util.Random(seed))) {
      out.add(List.copyOf(dev.quiver.registry.EntityKeyCodec.decode(joinKeys, key)));
    }
    return out;
  }

  /**
   * Writes a batch atomically with {@code meta}: a stored value is replaced only by an event that
   * supersedes it ({@link dev.quiver.registry.EventOrder}); among events of the batch for one
   * entity the superseding one is kept. An event whose time is still ahead of the store's clock
   * is kept beside the value it will supersede, so lookups before its time still see that value.
   * The WAL is on, so an acknowledged batch survives a killed process. Nothing is written when any
   * event is invalid.
   *
   * @throws dev.quiver.registry.UserInputException naming the view and offset of an invalid event
   */
  @Override
  public void write(List<FeatureEvent> batch, Map<String, byte[]> meta) {
    engine.write(batch, meta, Timestamps.toMicros(clock.instant()));
  }

  @Override
  public Optional<byte[]> readMeta(String key) {
    return Optional.ofNullable(engine.core().getMeta(key));
  }

  public boolean isClosed() {
    return engine.core().isClosed();
  }

  /** Closes the native resources; idempotent. */
  @Override
  public void close() {
    engine.core().close();
  }

  /** Options of a store. */
  public static final class Builder {
    private final Path dir;
    private final RegistrySnapshot registry;
    private long blockCacheBytes = DEFAULT_BLOCK_CACHE_BYTES;
    private boolean syncWrites;
    private Clock clock = Clock.systemUTC();

    private Builder(Path dir, RegistrySnapshot registry) {
      this.dir = Objects.requireNonNull(dir, "dir");
      this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** The LRU block cache size; default {@link #DEFAULT_BLOCK_CACHE_BYTES}. */
    public Builder withBlockCacheBytes(long bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("Cannot set block cache size: " + bytes + " is not positive");
      }
      this.blockCacheBytes = bytes;
      return this;
    }

    /**
     * Whether every write fsyncs the WAL (default false: a write survives a killed process, and a
     * machine crash may lose the last writes, which the materializer replays from its offsets).
     */
    public Builder withSyncWrites(boolean sync) {
      this.syncWrites = sync;
      return this;
    }

    /**
     * The clock a write prunes at: entries superseded by a later one whose time has come are
     * dropped (default the system clock, UTC). Lookups take their own {@code now}.
     */
    public Builder withClock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public OnlineStore open() {
      return new OnlineStore(new StoreEngine(RocksDbCore.open(dir, blockCacheBytes, syncWrites), registry), clock);
    }
  }
}
