package dev.quiver.offline.internal;

import dev.quiver.registry.ValueType;
import it.unimi.dsi.fastutil.longs.Long2IntOpenHashMap;
import it.unimi.dsi.fastutil.objects.Object2IntOpenHashMap;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Dense ids (0..size-1) for the entity keys of a spine, so joins work on ints. A single INT32 or
 * INT64 key is hashed as a long; other keys as objects (bytes compared by content).
 */
public final class KeyDict {
  private final boolean integral;
  private final Long2IntOpenHashMap longs = new Long2IntOpenHashMap();
  private final Object2IntOpenHashMap<Object> objs = new Object2IntOpenHashMap<>();
  private int size;

  public KeyDict(List<ValueType> keyTypes) {
    this.integral = keyTypes.size() == 1
        && (keyTypes.get(0) == ValueType.INT64 || keyTypes.get(0) == ValueType.INT32);
    longs.defaultReturnValue(-1);
    objs.defaultReturnValue(-1);
  }

  public int size() {
    return size;
  }

  /** Ids of every row of the key columns, adding new keys; -1 where a key part is null. */
  public int[] assign(Column[] keys, int rows) {
    int[] ids = new int[rows];
    for (int r = 0; r < rows; r++) {
      ids[r] = id(keys, r, true);
    }
    return ids;
  }

  /** The id of row r's key, or -1 when absent (or null). */
  public int id(Column[] keys, int r, boolean add) {
    if (integral) {
      Column c = keys[0];
      if (c.isNull(r)) {
        return -1;
      }
      long v = c.type == ValueType.INT32 ? c.ints[r] : c.longs[r];
      int id = longs.get(v);
      if (id < 0 && add) {
        id = size++;
        longs.put(v, id);
      }
      return id;
    }
    Object k;
    if (keys.length == 1) {
      k = part(keys[0], r);
      if (k == null) {
        return -1;
      }
    } else {
      List<Object> parts = new ArrayList<>(keys.length);
      for (Column c : keys) {
        Object p = part(c, r);
        if (p == null) {
          return -1;
        }
        parts.add(p);
      }
      k = parts;
    }
    int id = objs.getInt(k);
    if (id < 0 && add) {
      id = size++;
      objs.put(k, id);
    }
    return id;
  }

  /**
   * The partition (0..parts-1) of row r's key by a hash of its values, the same for equal keys
   * read from any file (columns of the key types); -1 where a key part is null.
   */
  public static int partition(Column[] keys, int r, int parts) {
    long h = 17;
    for (Column c : keys) {
      Object p = part(c, r);
      if (p == null) {
        return -1;
      }
      h = h * 31 + p.hashCode();
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return (int) Math.floorMod(h, (long) parts);
  }

  private static Object part(Column c, int r) {
    if (c.isNull(r)) {
      return null;
    }
    return switch (c.type) {
      case INT32 -> (long) c.ints[r];
      case INT64 -> c.longs[r];
      case BYTES -> ByteBuffer.wrap((byte[]) c.objs[r]);
      default -> c.objs[r];
    };
  }
}
