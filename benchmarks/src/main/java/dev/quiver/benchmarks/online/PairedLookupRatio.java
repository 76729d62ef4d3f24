package dev.quiver.benchmarks.online;

import dev.quiver.online.EntityRows;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.EntityKeyCodec;
import dev.quiver.registry.JoinKey;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.ResolvedFeature;
import dev.quiver.registry.ValueType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;
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
 * A noise-robust companion of {@link OnlineLookupBenchmark} for a shared, busy machine: the
 * store lookup and the raw RocksDB read run in alternating short slices (A B, B A, ...), so each
 * pair sees the same background load, and the result is the median of the per-pair throughput
 * ratios. The raw side reads a copy of the data directory (RocksDB locks a directory to one
 * opener) with the store's table options.
 *
 * <p>Usage: {@code PairedLookupRatio [rounds=40] [slice-ms=250] [multiget]}; with {@code multiget} it
 * compares a raw multiGet of 100 keys with 100 raw gets instead.
 */
public final class PairedLookupRatio {
  private static final List<JoinKey> KEYS = List.of(new JoinKey(BenchData.JOIN_KEY, ValueType.INT64));

  private PairedLookupRatio() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 40;
    long sliceNanos = (args.length > 1 ? Long.parseLong(args[1]) : 250) * 1_000_000L;
    Path dir = BenchData.ensure(BenchData.defaultDir(), BenchData.defaultEntities());
    Path rawDir = copyOnce(dir, Path.of(dir + "-raw"));
    RegistrySnapshot registry = BenchData.registry();
    List<ResolvedFeature> features = registry.resolveRefs(BenchData.refs());
    SplittableRandom random = new SplittableRandom(3);
    int n = BenchData.defaultEntities();
    long[] sink = {0};

    RocksDB.loadLibrary();
    try (OnlineStore store = OnlineStore.open(dir, registry);
         LRUCache cache = new LRUCache(256L * 1024 * 1024);
         BloomFilter bloom = new BloomFilter(10, false);
         ColumnFamilyOptions cfOptions = new ColumnFamilyOptions().setTableFormatConfig(new BlockBasedTableConfig()
             .setBlockCache(cache).setFilterPolicy(bloom).setCacheIndexAndFilterBlocks(true)
             .setPinL0FilterAndIndexBlocksInCache(true).setBlockSize(4096));
         DBOptions dbOptions = new DBOptions();
         ReadOptions readOptions = new ReadOptions().setVerifyChecksums(false)) {
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      List<ColumnFamilyDescriptor> cfs = new ArrayList<>();
      for (String name : List.of("default", "meta", "view." + BenchData.VIEW)) {
        cfs.add(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.UTF_8), cfOptions));
      }
      try (RocksDB raw = RocksDB.open(dbOptions, rawDir.toString(), cfs, handles)) {
        ColumnFamilyHandle view = handles.get(2);
        LongSupplier store1 = () -> store.get(features,
            EntityRows.of(BenchData.JOIN_KEY, Collections.singletonList((long) random.nextInt(n))), BenchData.NOW)
            .entityCount();
        LongSupplier raw1 = () -> {
          try {
            byte[] v = raw.get(view, readOptions, EntityKeyCodec.encode(KEYS, List.of((long) random.nextInt(n))));
            return v == null ? 0 : v.length;
          } catch (RocksDBException e) {
            throw new IllegalStateException(e);
          }
        };
        LongSupplier store100 = () -> {
          List<Object> ids = new ArrayList<>(100);
          for (int i = 0; i < 100; i++) {
            ids.add((long) random.nextInt(n));
          }
          return store.get(features, EntityRows.of(BenchData.JOIN_KEY, ids), BenchData.NOW).entityCount();
        };
        LongSupplier raw100 = () -> {
          List<byte[]> keys = new ArrayList<>(100);
          for (int i = 0; i < 100; i++) {
            keys.add(EntityKeyCodec.encode(KEYS, List.of((long) random.nextInt(n))));
          }
          try {
            return raw.multiGetAsList(readOptions, Collections.nCopies(100, view), keys).size();
          } catch (RocksDBException e) {
            throw new IllegalStateException(e);
          }
        };
        LongSupplier rawLoop100 = () -> {
          long total = 0;
          for (int i = 0; i < 100; i++) {
            total += raw1.getAsLong();
          }
          return total;
        };
        if (args.length > 2 && args[2].equals("multiget")) {
          report("raw multiGet(100) vs 100 raw gets", raw100, rawLoop100, rounds, sliceNanos, sink);
          return;
        }
        report("1x10 vs raw get", store1, raw1, rounds, sliceNanos, sink);
        report("100x10 vs raw multiGet(100)", store100, raw100, rounds, sliceNanos, sink);
      } finally {
        handles.forEach(ColumnFamilyHandle::close);
      }
    }
    System.out.println("(sink " + sink[0] + ")");
  }

  private static void report(String what, LongSupplier store, LongSupplier raw, int rounds, long sliceNanos,
                             long[] sink) {
    // warm-up: compile both paths, fill the block caches
    for (int i = 0; i < 8; i++) {
      run(store, sliceNanos, sink);
      run(raw, sliceNanos, sink);
    }
    double[] ratios = new double[rounds];
    double[] storeRates = new double[rounds];
    double[] rawRates = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      double s;
      double w;
      if (r % 2 == 0) {
        s = run(store, sliceNanos, sink);
        w = run(raw, sliceNanos, sink);
      } else {
        w = run(raw, sliceNanos, sink);
        s = run(store, sliceNanos, sink);
      }
      storeRates[r] = s;
      rawRates[r] = w;
      ratios[r] = s / w;
    }
    System.out.printf("%-28s store %.0f ops/s, raw %.0f ops/s (medians), ratio median %.2f (quartiles %.2f..%.2f, %d pairs of %d ms)%n",
        what, median(storeRates), median(rawRates), median(ratios), quantile(ratios, 0.25), quantile(ratios, 0.75),
        rounds, sliceNanos / 1_000_000);
  }

  private static double run(LongSupplier op, long sliceNanos, long[] sink) {
    long start = System.nanoTime();
    long end = start + sliceNanos;
    long ops = 0;
    long now;
    do {
      for (int i = 0; i < 16; i++) {
        sink[0] += op.getAsLong();
      }
      ops += 16;
      now = System.nanoTime();
    } while (now < end);
    return ops * 1e9 / (now - start);
  }

  private static double median(double[] v) {
    return quantile(v, 0.5);
  }

  private static double quantile(double[] v, double q) {
    double[] s = v.clone();
    java.util.Arrays.sort(s);
    return s[(int) Math.round(q * (s.length - 1))];
  }

  private static Path copyOnce(Path from, Path to) throws IOException {
    Path marker = to.resolve("COPY-COMPLETE");
    if (Files.exists(marker)) {
      return to;
    }
    Files.createDirectories(to);
    try (var files = Files.list(from)) {
      for (Path f : files.toList()) {
        if (Files.isRegularFile(f) && !f.getFileName().toString().equals("LOCK")) {
          Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    Files.writeString(marker, "copied from " + from + "\n");
    return to;
  }
}
