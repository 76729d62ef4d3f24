package dev.quiver.offline.internal;

import dev.quiver.registry.Timestamps;
import dev.quiver.registry.ValueType;
import java.time.Instant;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * A growable column of one {@link ValueType} held in primitive arrays: BOOL, INT32 and FLOAT32
 * (raw float bits) in an {@code int[]}; INT64, FLOAT64 (raw double bits) and TIMESTAMP (epoch
 * micros) in a {@code long[]}; STRING ({@link String}), BYTES ({@code byte[]}) and lists
 * ({@link List}) in an {@code Object[]}. A set bit in {@link #nulls} marks a null.
 */
public final class Column {
  public final String name;
  public final ValueType type;
  int[] ints;
  long[] longs;
  Object[] objs;
  final BitSet nulls = new BitSet();
  int size;

  public Column(String name, ValueType type, int capacity) {
    this.name = name;
    this.type = type;
    int cap = Math.max(capacity, 8);
    switch (storage(type)) {
      case 0 -> ints = new int[cap];
      case 1 -> longs = new long[cap];
      default -> objs = new Object[cap];
    }
  }

  /** 0 = int[], 1 = long[], 2 = Object[]. */
  static int storage(ValueType t) {
    return switch (t) {
      case BOOL, INT32, FLOAT32 -> 0;
      case INT64, FLOAT64, TIMESTAMP -> 1;
      default -> 2;
    };
  }

  public int size() {
    return size;
  }

  public Column renamed(String newName) {
    Column c = new Column(newName, type, 0);
    c.ints = ints;
    c.longs = longs;
    c.objs = objs;
    c.nulls.or(nulls);
    c.size = size;
    return c;
  }

  private void ensure(int n) {
    if (ints != null && ints.length < n) {
      ints = Arrays.copyOf(ints, Math.max(n, ints.length * 2));
    } else if (longs != null && longs.length < n) {
      longs = Arrays.copyOf(longs, Math.max(n, longs.length * 2));
    } else if (objs != null && objs.length < n) {
      objs = Arrays.copyOf(objs, Math.max(n, objs.length * 2));
    }
  }

  /** Makes room for {@code extra} more values. */
  void reserve(int extra) {
    ensure(size + extra);
  }

  /** Appends every row of {@code src} (same type). */
  public void appendAll(Column src) {
    ensure(size + src.size);
    switch (storage(type)) {
      case 0 -> System.arraycopy(src.ints, 0, ints, size, src.size);
      case 1 -> System.arraycopy(src.longs, 0, longs, size, src.size);
      default -> System.arraycopy(src.objs, 0, objs, size, src.size);
    }
    for (int b = src.nulls.nextSetBit(0); b >= 0 && b < src.size; b = src.nulls.nextSetBit(b + 1)) {
      nulls.set(size + b);
    }
    size += src.size;
  }

  /** Appends n nulls. */
  public void appendNulls(int n) {
    ensure(size + n);
    nulls.set(size, size + n);
    size += n;
  }

  public void addNull() {
    ensure(size + 1);
    nulls.set(size);
    size++;
  }

  public void addInt(int v) {
    ensure(size + 1);
    ints[size++] = v;
  }

  public void addLong(long v) {
    ensure(size + 1);
    longs[size++] = v;
  }

  public void addObj(Object v) {
    if (v == null) {
      addNull();
      return;
    }
    ensure(size + 1);
    objs[size++] = v;
  }

  public boolean isNull(int i) {
    return nulls.get(i);
  }

  public int getInt(int i) {
    return ints[i];
  }

  public long getLong(int i) {
    return longs[i];
  }

  public Object getObj(int i) {
    return objs[i];
  }

  /** Appends a value in its Java form (see {@link ValueType}), coercing loosely typed input. */
  public void addValue(Object v) {
    if (v == null) {
      addNull();
      return;
    }
    Object c = type.coerce(v);
    switch (type) {
      case BOOL -> addInt((Boolean) c ? 1 : 0);
      case INT32 -> addInt((Integer) c);
      case FLOAT32 -> addInt(Float.floatToRawIntBits((Float) c));
      case INT64 -> addLong((Long) c);
      case FLOAT64 -> addLong(Double.doubleToRawLongBits((Double) c));
      case TIMESTAMP -> addLong(Timestamps.toMicros((Instant) c));
      default -> addObj(c);
    }
  }

  /** The value at {@code i} in its Java form, or null. */
  public Object value(int i) {
    if (nulls.get(i)) {
      return null;
    }
    return switch (type) {
      case BOOL -> ints[i] != 0;
      case INT32 -> ints[i];
      case FLOAT32 -> Float.intBitsToFloat(ints[i]);
      case INT64 -> longs[i];
      case FLOAT64 -> Double.longBitsToDouble(longs[i]);
      case TIMESTAMP -> Timestamps.fromMicros(longs[i]);
      default -> objs[i];
    };
  }

  /** Copies row {@code i} of {@code src} (same storage) to the end of this column. */
  public void addFrom(Column src, int i) {
    if (src.nulls.get(i)) {
      addNull();
      return;
    }
    switch (storage(type)) {
      case 0 -> addInt(src.ints[i]);
      case 1 -> addLong(src.longs[i]);
      default -> addObj(src.objs[i]);
    }
  }

  /** A new column: row r is {@code this[idx[r]]}, or null where {@code idx[r] < 0}. */
  public Column gather(String newName, int[] idx) {
    Column c = new Column(newName, type, idx.length);
    c.size = idx.length;
    int st = storage(type);
    for (int r = 0; r < idx.length; r++) {
      int i = idx[r];
      if (i < 0 || nulls.get(i)) {
        c.nulls.set(r);
        continue;
      }
      switch (st) {
        case 0 -> c.ints[r] = ints[i];
        case 1 -> c.longs[r] = longs[i];
        default -> c.objs[r] = objs[i];
      }
    }
    return c;
  }

  /** Scatters: {@code this[pos[r]] = src[r]} for every row of {@code src} (sizes this column to n). */
  public void scatterFrom(Column src, int[] pos, int n) {
    ensure(n);
    size = Math.max(size, n);
    int st = storage(type);
    for (int r = 0; r < src.size; r++) {
      int p = pos[r];
      if (src.nulls.get(r)) {
        nulls.set(p);
        continue;
      }
      nulls.clear(p);
      switch (st) {
        case 0 -> ints[p] = src.ints[r];
        case 1 -> longs[p] = src.longs[r];
        default -> objs[p] = src.objs[r];
      }
    }
  }

  /** Wraps an int array (BOOL, INT32, FLOAT32) of n values, none null. */
  public static Column ofInts(String name, ValueType type, int[] a, int n) {
    Column c = new Column(name, type, 0);
    c.ints = a;
    c.size = n;
    return c;
  }

  /** Wraps a long array (INT64, FLOAT64, TIMESTAMP) of n values, none null. */
  public static Column ofLongs(String name, ValueType type, long[] a, int n) {
    Column c = new Column(name, type, 0);
    c.longs = a;
    c.size = n;
    return c;
  }

  /** The int array of an int-stored column (shared, not copied). */
  public int[] ints() {
    return ints;
  }

  /** The long array of a long-stored column (shared, not copied). */
  public long[] longs() {
    return longs;
  }

  /** A column of n nulls.*/
  public static Column nulls(String name, ValueType type, int n) {
    Column c = new Column(name, type, n);
    c.size = n;
    c.nulls.set(0, n);
    return c;
  }

  /** Rough heap bytes per row, for the memory budget. */
  public static long bytesPerRow(ValueType t) {
    return switch (storage(t)) {
      case 0 -> 4;
      case 1 -> 8;
      default -> 48;
    };
  }
}
