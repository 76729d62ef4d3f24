package dev.quiver.online.internal;

import dev.quiver.online.StoreClosedException;
import dev.quiver.registry.QuiverException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.Cache;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The one owner of every RocksDB native object of an online store: bytes in, bytes out. Typed
 * encoding, the ordering rule and metrics live in outer layers.
 *
 * <p>Column families: {@code default} (unused, RocksDB requires it), {@link #META} for caller
 * metadata, and {@code view.<name>} for each feature view, created on first write.
 *
 * <p>Thread safety: every operation holds the read side of a lock; {@link #close()} takes the
 * write side, so no operation ever touches a freed native handle. After close every call throws
 * {@link StoreClosedException}.
 *
 * <p>Close order (reverse of creation, each object after everything that uses it): open
 * iterators, column-family handles, the DB, then the options objects the DB used (write and read
 * options, column-family options, DB options), then the table config's filter and block cache.
 */
public final class RocksDbCore implements AutoCloseable {
  public static final String META = "meta";
  static final String VIEW_PREFIX = "view.";

  private final Path dir;
  private final Cache blockCache;
  private final BloomFilter bloomFilter;
  private final ColumnFamilyOptions cfOptions;
  private final DBOptions dbOptions;
  private final WriteOptions writeOptions;
  private final ReadOptions readOptions;
  private final RocksDB db;
  private final ColumnFamilyHandle defaultHandle;
  private final ColumnFamilyHandle metaHandle;
  private final Map<String, ColumnFamilyHandle> viewHandles = new ConcurrentHashMap<>();
  private final Set<CoreIterator> openIterators = Collections.newSetFromMap(new ConcurrentHashMap<>());
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private volatile boolean closed;

  static {
    RocksDB.loadLibrary();
  }

  /**
   * Opens (creating when missing) the store in {@code dir}.
   *
   * @param blockCacheBytes size of the LRU block cache
   * @param syncWrites whether each write fsyncs the WAL; without it a write survives a killed
   *     process (the WAL is in the OS page cache) but not a machine crash
   */
  public static RocksDbCore open(Path dir, long blockCacheBytes, boolean syncWrites) {
    return new RocksDbCore(dir, blockCacheBytes, syncWrites);
  }

  private RocksDbCore(Path dir, long blockCacheBytes, boolean syncWrites) {
    this.dir = dir;
    List<AutoCloseable> created = new ArrayList<>();
    try {
      Files.createDirectories(dir);
      blockCache = track(created, new LRUCache(blockCacheBytes));
      bloomFilter = track(created, new BloomFilter(10, false));
      BlockBasedTableConfig table = new BlockBasedTableConfig()
          .setBlockCache(blockCache)
          .setFilterPolicy(bloomFilter)
          .setCacheIndexAndFilterBlocks(true)
          .setPinL0FilterAndIndexBlocksInCache(true)
          .setBlockSize(4096);
      cfOptions = track(created, new ColumnFamilyOptions()
          .setTableFormatConfig(table));
      dbOptions = track(created, new DBOptions()
          .setCreateIfMissing(true)
          .setCreateMissingColumnFamilies(true)
          .setMaxBackgroundJobs(2));
      writeOptions = track(created, new WriteOptions().setSync(syncWrites).setDisableWAL(false));
      readOptions = track(created, new ReadOptions().setVerifyChecksums(false));

      List<String> names = new ArrayList<>();
      names.add(new String(RocksDB.DEFAULT_COLUMN_FAMILY, java.nio.charset.StandardCharsets.UTF_8));
      names.add(META);
      try (Options probe = new Options()) {
        for (byte[] n : RocksDB.listColumnFamilies(probe, dir.toString())) {
          String s = new String(n, java.nio.charset.StandardCharsets.UTF_8);
          if (!names.contains(s)) {
            names.add(s);
          }
        }
      }
      List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
      for (String n : names) {
        descriptors.add(new ColumnFamilyDescriptor(n.getBytes(java.nio.charset.StandardCharsets.UTF_8), cfOptions));
      }
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
      defaultHandle = handles.get(0);
      metaHandle = handles.get(1);
      for (int i = 2; i < names.size(); i++) {
        if (names.get(i).startsWith(VIEW_PREFIX)) {
          viewHandles.put(names.get(i).substring(VIEW_PREFIX.length()), handles.get(i));
        } else {
          handles.get(i).close();
        }
      }
    } catch (RocksDBException | java.io.IOException | RuntimeException e) {
      Collections.reverse(created);
      for (AutoCloseable c : created) {
        try {
          c.close();
        } catch (Exception ignored) {
          // best effort: the open failed already
        }
      }
      throw new QuiverException("Cannot open online store " + dir + ": " + e.getMessage(), e);
    }
  }

  private static <T extends AutoCloseable> T track(List<AutoCloseable> created, T t) {
    created.add(t);
    return t;
  }

  public Path dir() {
    return dir;
  }

  /** The views that have a column family, i.e. that were ever written. */
  public Set<String> views() {
    return Set.copyOf(viewHandles.keySet());
  }

  /** The stored value of a key in a view, or null when the view or key has none. */
  public byte[] get(String view, byte[] key) {
    lockRead("read view " + view);
    try {
      ColumnFamilyHandle h = viewHandles.get(view);
      if (h == null) {
        return null;
      }
      return db.get(h, readOptions, key);
    } catch (RocksDBException e) {
      throw new QuiverException("Cannot read online store " + dir + " (view " + view + "): " + e.getMessage(), e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The stored values of several keys of a view, in key order; null where there is none. */
  public List<byte[]> multiGet(String view, List<byte[]> keys) {
    if (keys.size() == 1) {
      return Collections.singletonList(get(view, keys.get(0)));
    }
    lockRead("read view " + view);
    try {
      ColumnFamilyHandle h = viewHandles.get(view);
      if (h == null) {
        return Collections.nCopies(keys.size(), null);
      }
      return db.multiGetAsList(readOptions, Collections.nCopies(keys.size(), h), keys);
    } catch (RocksDBException e) {
      throw new QuiverException("Cannot read online store " + dir + " (view " + view + "): " + e.getMessage(), e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** A value of the meta column family, or null. */
  public byte[] getMeta(String key) {
    lockRead("read metadata " + key);
    try {
      return db.get(metaHandle, readOptions, key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (RocksDBException e) {
      throw new QuiverException("Cannot read metadata " + key + " of online store " + dir + ": " + e.getMessage(), e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Writes puts (view -> key -> value) and metadata in one atomic WriteBatch, WAL on. Column
   * families of views not seen before are created first.
   */
  public void write(Map<String, ? extends Map<ByteKey, byte[]>> puts, Map<String, byte[]> meta) {
    lockRead("write");
    try (WriteBatch batch = new WriteBatch()) {
      for (Map.Entry<String, ? extends Map<ByteKey, byte[]>> e : puts.entrySet()) {
        ColumnFamilyHandle h = handleForWrite(e.getKey());
        for (Map.Entry<ByteKey, byte[]> kv : e.getValue().entrySet()) {
          batch.put(h, kv.getKey().bytes(), kv.getValue());
        }
      }
      for (Map.Entry<String, byte[]> m : meta.entrySet()) {
        batch.put(metaHandle, m.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8), m.getValue());
      }
      db.write(writeOptions, batch);
    } catch (RocksDBException e) {
      throw new QuiverException("Cannot write online store " + dir + ": " + e.getMessage(), e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * An iterator over every key and value of a view, in key order. The caller closes it; any still
   * open at {@link #close()} are closed then.
   */
  public CoreIterator iterator(String view) {
    lockRead("iterate view " + view);
    try {
      ColumnFamilyHandle h = viewHandles.get(view);
      CoreIterator it = new CoreIterator(h == null ? null : db.newIterator(h, readOptions));
      openIterators.add(it);
      return it;
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Up to {@code max} distinct keys of a view, found by seeking to points drawn uniformly (from
   * {@code random}) in the key range between the view's first and last key, taking the first key
   * not yet taken at or after each point (wrapping to the first key). Reads about {@code max} keys,
   * not the view; fewer when the view holds fewer. Keys come out in the order found.
   */
  public List<byte[]> sampleKeys(String view, int max, java.util.Random random) {
    lockRead("sample view " + view);
    try {
      ColumnFamilyHandle h = viewHandles.get(view);
      List<byte[]> out = new java.util.ArrayList<>();
      if (h == null || max < 1) {
        return out;
      }
      try (RocksIterator it = db.newIterator(h, readOptions)) {
        it.seekToFirst();
        if (!it.isValid()) {
          return out;
        }
        byte[] first = it.key();
        it.seekToLast();
        byte[] last = it.key();
        int width = Math.max(first.length, last.length);
        java.math.BigInteger lo = new java.math.BigInteger(1, java.util.Arrays.copyOf(first, width));
        java.math.BigInteger span = new java.math.BigInteger(1, java.util.Arrays.copyOf(last, width))
            .subtract(lo).add(java.math.BigInteger.ONE);
        Set<ByteKey> seen = new HashSet<>();
        while (out.size() < max) {
          java.math.BigInteger point;
          do {
            point = new java.math.BigInteger(span.bitLength(), random);
          } while (point.compareTo(span) >= 0);
          byte[] raw = point.add(lo).toByteArray();
          byte[] target = new byte[width];
          int n = Math.min(width, raw.length);
          System.arraycopy(raw, raw.length - n, target, width - n, n);
          it.seek(target);
          // walk to a key not taken yet; after seen.size() + 1 steps every key was visited
          boolean found = false;
          for (int step = 0; step <= seen.size(); step++) {
            if (!it.isValid()) {
              it.seekToFirst();
            }
            byte[] k = it.key();
            if (seen.add(new ByteKey(k))) {
              out.add(k);
              found = true;
              break;
            }
            it.next();
          }
          if (!found) {
            break; // the view holds fewer than max keys: all taken
          }
        }
      }
      return out;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** How many iterators are open (for tests and diagnostics). */
  public int openIteratorCount() {
    return openIterators.size();
  }

  private ColumnFamilyHandle handleForWrite(String view) throws RocksDBException {
    ColumnFamilyHandle h = viewHandles.get(view);
    if (h != null) {
      return h;
    }
    synchronized (viewHandles) {
      h = viewHandles.get(view);
      if (h == null) {
        h = db.createColumnFamily(new ColumnFamilyDescriptor(
            (VIEW_PREFIX + view).getBytes(java.nio.charset.StandardCharsets.UTF_8), cfOptions));
        viewHandles.put(view, h);
      }
      return h;
    }
  }

  private void lockRead(String what) {
    lock.readLock().lock();
    if (closed) {
      lock.readLock().unlock();
      throw new StoreClosedException("Cannot " + what + ": online store " + dir + " is closed");
    }
  }

  public boolean isClosed() {
    return closed;
  }

  /** Closes every native object in the order of the class comment. Idempotent. */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      // 1. iterators pin SST files and memtables of the DB
      for (CoreIterator it : new HashSet<>(openIterators)) {
        it.closeNative();
      }
      openIterators.clear();
      // 2. column-family handles must go before the DB that owns them
      viewHandles.values().forEach(ColumnFamilyHandle::close);
      viewHandles.clear();
      metaHandle.close();
      defaultHandle.close();
      // 3. the DB: flushes nothing (the WAL has every acknowledged write) and releases the lock file
      db.close();
      // 4. options the DB and its column families referenced
      writeOptions.close();
      readOptions.close();
      cfOptions.close();
      dbOptions.close();
      // 5. objects the table config (inside the column-family options) pointed at
      bloomFilter.close();
      blockCache.close();
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** An iterator over one view's entries; tracked by the core so close can release it. */
  public final class CoreIterator implements AutoCloseable {
    private final RocksIterator it;
    private boolean started;
    private boolean itClosed;

    private CoreIterator(RocksIterator it) {
      this.it = it;
    }

    /** Advances to the next entry; false at the end. */
    public boolean next() {
      lockRead("iterate");
      try {
        synchronized (this) {
          if (itClosed) {
            throw new StoreClosedException("Cannot iterate: the iterator is closed");
          }
        }
        if (it == null) {
          return false;
        }
        if (!started) {
          it.seekToFirst();
          started = true;
        } else {
          it.next();
        }
        return it.isValid();
      } finally {
        lock.readLock().unlock();
      }
    }

    /** The current key; only after {@link #next()} returned true. */
    public byte[] key() {
      lockRead("read an iterator's key");
      try {
        checkOpen();
        return it.key();
      } finally {
        lock.readLock().unlock();
      }
    }

    /** The current value; only after {@link #next()} returned true. */
    public byte[] value() {
      lockRead("read an iterator's value");
      try {
        checkOpen();
        return it.value();
      } finally {
        lock.readLock().unlock();
      }
    }

    // a freed native iterator must never be touched: that would crash the JVM, not throw
    private synchronized void checkOpen() {
      if (itClosed) {
        throw new StoreClosedException("Cannot iterate: the iterator is closed");
      }
      if (it == null || !started || !it.isValid()) {
        throw new IllegalStateException("Cannot read the iterator: it is not on an entry (call next() first)");
      }
    }

    @Override
    public void close() {
      lock.readLock().lock();
      try {
        closeNative();
        openIterators.remove(this);
      } finally {
        lock.readLock().unlock();
      }
    }

    private synchronized void closeNative() {
      if (!itClosed) {
        itClosed = true;
        if (it != null) {
          it.close();
        }
      }
    }
  }
}
