package dev.quiver.benchmarks.online;

import dev.quiver.online.EntityRows;
import dev.quiver.online.OnlineFeatures;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.EntityKeyCodec;
import dev.quiver.registry.JoinKey;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.ResolvedFeature;
import dev.quiver.registry.ValueType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * In-process lookups over 1M stored entities (see {@link BenchData}): 1 entity x 10 features and
 * 100 entities x 10 features through {@link OnlineStore#get}, beside raw RocksDB reads of the
 * same keys in the same directory (one get, and a multiGet of 100) with the same table options:
 * the floor the store's decoding, ttl checks and result objects are measured against.
 * Each operation picks uniformly random entities.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgs = {"-Xmx2g"})
public class OnlineLookupBenchmark {

  /** Random entity ids, drawn ahead so drawing costs nothing measurable. */
  @State(Scope.Thread)
  public static class Ids {
    long[] ids;
    int next;

    @Setup(Level.Trial)
    public void draw() {
      SplittableRandom r = new SplittableRandom(7);
      ids = new long[1 << 20];
      int n = BenchData.defaultEntities();
      for (int i = 0; i < ids.length; i++) {
        ids[i] = r.nextInt(n);
      }
    }

    long nextId() {
      long id = ids[next];
      next = (next + 1) & (ids.length - 1);
      return id;
    }

    List<Object> next(int count) {
      List<Object> out = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        out.add(nextId());
      }
      return out;
    }
  }

  @State(Scope.Benchmark)
  public static class Store {
    OnlineStore store;
    List<ResolvedFeature> features;

    @Setup(Level.Trial)
    public void open() {
      Path dir = BenchData.ensure(BenchData.defaultDir(), BenchData.defaultEntities());
      RegistrySnapshot registry = BenchData.registry();
      store = OnlineStore.open(dir, registry);
      features = registry.resolveRefs(BenchData.refs());
    }

    @TearDown(Level.Trial)
    public void close() {
      store.close();
    }
  }

  /** The same directory opened with plain RocksDB and the store's table options. */
  @State(Scope.Benchmark)
  public static class Raw {
    static final List<JoinKey> KEYS = List.of(new JoinKey(BenchData.JOIN_KEY, ValueType.INT64));
    LRUCache cache;
    BloomFilter bloom;
    ColumnFamilyOptions cfOptions;
    DBOptions dbOptions;
    ReadOptions readOptions;
    RocksDB db;
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    ColumnFamilyHandle view;

    @Setup(Level.Trial)
    public void open() throws RocksDBException {
      Path dir = BenchData.ensure(BenchData.defaultDir(), BenchData.defaultEntities());
      RocksDB.loadLibrary();
      cache = new LRUCache(256L * 1024 * 1024);
      bloom = new BloomFilter(10, false);
      cfOptions = new ColumnFamilyOptions().setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(cache)
          .setFilterPolicy(bloom).setCacheIndexAndFilterBlocks(true).setPinL0FilterAndIndexBlocksInCache(true)
          .setBlockSize(4096));
      dbOptions = new DBOptions();
      readOptions = new ReadOptions().setVerifyChecksums(false);
      List<ColumnFamilyDescriptor> cfs = new ArrayList<>();
      for (String n : List.of("default", "meta", "view." + BenchData.VIEW)) {
        cfs.add(new ColumnFamilyDescriptor(n.getBytes(StandardCharsets.UTF_8), cfOptions));
      }
      db = RocksDB.open(dbOptions, dir.toString(), cfs, handles);
      view = handles.get(2);
    }

    @TearDown(Level.Trial)
    public void close() {
      handles.forEach(ColumnFamilyHandle::close);
      db.close();
      readOptions.close();
      cfOptions.close();
      dbOptions.close();
      bloom.close();
      cache.close();
    }
  }

  @Benchmark
  public OnlineFeatures lookup1x10(Store s, Ids ids) {
    return s.store.get(s.features, EntityRows.of(BenchData.JOIN_KEY, Collections.singletonList(ids.nextId())),
        BenchData.NOW);
  }

  @Benchmark
  public OnlineFeatures lookup100x10(Store s, Ids ids) {
    return s.store.get(s.features, EntityRows.of(BenchData.JOIN_KEY, ids.next(100)), BenchData.NOW);
  }

  /** The floor of lookup1x10: encode the key, one RocksDB get. */
  @Benchmark
  public byte[] rawGet1(Raw r, Ids ids) throws RocksDBException {
    return r.db.get(r.view, r.readOptions, EntityKeyCodec.encode(Raw.KEYS, List.of(ids.nextId())));
  }

  /** The floor of lookup100x10: encode 100 keys, one RocksDB multiGet. */
  @Benchmark
  public List<byte[]> rawMultiGet100(Raw r, Ids ids) throws RocksDBException {
    List<byte[]> keys = new ArrayList<>(100);
    for (int i = 0; i < 100; i++) {
      keys.add(EntityKeyCodec.encode(Raw.KEYS, List.of(ids.nextId())));
    }
    return r.db.multiGetAsList(r.readOptions, Collections.nCopies(100, r.view), keys);
  }
}
