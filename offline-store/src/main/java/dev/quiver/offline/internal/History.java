package dev.quiver.offline.internal;

import dev.quiver.registry.ValueType;
import java.util.Arrays;
import java.util.List;

/**
 * The candidate rows of one view for a join, in primitive arrays: key id, event time, created
 * time ({@link dev.quiver.registry.FeatureEvent#NO_CREATED_TIME} when missing), position, and
 * the feature columns.
 */
public final class History {
  public int n;
  public int[] key;
  public long[] ts;
  public long[] created;
  public int[] part;
  public long[] off;
  public final Column[] feats;

  public History(List<String> featNames, List<ValueType> featTypes, int capacity) {
    int cap = Math.max(16, capacity);
    key = new int[cap];
    ts = new long[cap];
    created = new long[cap];
    part = new int[cap];
    off = new long[cap];
    feats = new Column[featNames.size()];
    for (int i = 0; i < feats.length; i++) {
      feats[i] = new Column(featNames.get(i), featTypes.get(i), cap);
    }
  }

  private void ensure(int m) {
    if (key.length < m) {
      int cap = Math.max(m, key.length * 2);
      key = Arrays.copyOf(key, cap);
      ts = Arrays.copyOf(ts, cap);
      created = Arrays.copyOf(created, cap);
      part = Arrays.copyOf(part, cap);
      off = Arrays.copyOf(off, cap);
    }
  }

  /** Adds a row; {@code src[i]} null means the feature is absent in this source (null value). */
  public void add(int keyId, long t, long c, int p, long o, Column[] src, int row) {
    ensure(n + 1);
    key[n] = keyId;
    ts[n] = t;
    created[n] = c;
    part[n] = p;
    off[n] = o;
    for (int i = 0; i < feats.length; i++) {
      if (src[i] == null) {
        feats[i].addNull();
      } else {
        feats[i].addFrom(src[i], row);
      }
    }
    n++;
  }

  /**
   * Appends m rows given as arrays (compacted: all rows kept) and feature columns of m rows
   * (null entry = the feature is absent: nulls).
   */
  public void addAll(int m, int[] k, long[] t, long[] c, int[] p, long[] o, Column[] src) {
    ensure(n + m);
    System.arraycopy(k, 0, key, n, m);
    System.arraycopy(t, 0, ts, n, m);
    System.arraycopy(c, 0, created, n, m);
    System.arraycopy(p, 0, part, n, m);
    System.arraycopy(o, 0, off, n, m);
    for (int i = 0; i < feats.length; i++) {
      if (src[i] == null) {
        feats[i].appendNulls(m);
      } else {
        feats[i].appendAll(src[i]);
      }
    }
    n += m;
  }

  public long bytes() {
    long b = (long) key.length * 32;
    for (Column c : feats) {
      b += (long) key.length * Column.bytesPerRow(c.type);
    }
    return b;
  }
}
