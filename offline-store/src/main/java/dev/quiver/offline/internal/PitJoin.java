package dev.quiver.offline.internal;

import it.unimi.dsi.fastutil.ints.IntArrays;

/**
 * The point-in-time join under the one ordering rule, on primitive arrays. Spine rows and
 * history rows are bucketed by key id (a counting sort), each bucket is sorted (spine by time,
 * history by {@code (event_ts, created_ts, partition, offset)}), and the two are merged: the
 * winner for a spine row at {@code t} is the last history row with {@code event_ts <= t}, kept
 * when {@code ttl == 0} or {@code event_ts >= t - ttl}.
 */
public final class PitJoin {
  private PitJoin() {}

  /**
   * @param keyCount number of key ids (ids are 0..keyCount-1; -1 = no key)
   * @param sKey key id of every spine row
   * @param sTs event time (micros) of every spine row
   * @param rows the spine rows to join (indexes into sKey/sTs)
   * @param h the candidates (already filtered by as-of)
   * @param ttlMicros 0 = no limit
   * @return for each entry of {@code rows}, the winning history row, or -1
   */
  public static int[] join(int keyCount, int[] sKey, long[] sTs, int[] rows, History h, long ttlMicros) {
    int n = rows.length;
    int[] winner = new int[n];
    java.util.Arrays.fill(winner, -1);
    // bucket spine entries (positions into rows) by key
    int[] sStart = new int[keyCount + 1];
    int valid = 0;
    for (int i = 0; i < n; i++) {
      int k = sKey[rows[i]];
      if (k >= 0) {
        sStart[k + 1]++;
        valid++;
      }
    }
    for (int k = 0; k < keyCount; k++) {
      sStart[k + 1] += sStart[k];
    }
    int[] sOrd = new int[valid];
    int[] fill = java.util.Arrays.copyOf(sStart, keyCount);
    for (int i = 0; i < n; i++) {
      int k = sKey[rows[i]];
      if (k >= 0) {
        sOrd[fill[k]++] = i;
      }
    }
    // bucket history rows by key
    int[] hStart = new int[keyCount + 1];
    for (int j = 0; j < h.n; j++) {
      hStart[h.key[j] + 1]++;
    }
    for (int k = 0; k < keyCount; k++) {
      hStart[k + 1] += hStart[k];
    }
    int[] hOrd = new int[h.n];
    fill = java.util.Arrays.copyOf(hStart, keyCount);
    for (int j = 0; j < h.n; j++) {
      hOrd[fill[h.key[j]]++] = j;
    }
    final long[] hts = h.ts;
    final long[] hcr = h.created;
    final int[] hpa = h.part;
    final long[] hof = h.off;
    for (int k = 0; k < keyCount; k++) {
      int s0 = sStart[k];
      int s1 = sStart[k + 1];
      int h0 = hStart[k];
      int h1 = hStart[k + 1];
      if (s0 == s1 || h0 == h1) {
        continue;
      }
      if (s1 - s0 > 1) {
        IntArrays.quickSort(sOrd, s0, s1, (a, b) -> Long.compare(sTs[rows[a]], sTs[rows[b]]));
      }
      if (h1 - h0 > 1) {
        IntArrays.quickSort(hOrd, h0, h1, (a, b) -> {
          int c = Long.compare(hts[a], hts[b]);
          if (c != 0) {
            return c;
          }
          c = Long.compare(hcr[a], hcr[b]);
          if (c != 0) {
            return c;
          }
          c = Integer.compare(hpa[a], hpa[b]);
          return c != 0 ? c : Long.compare(hof[a], hof[b]);
        });
      }
      int j = h0;
      for (int s = s0; s < s1; s++) {
        int i = sOrd[s];
        long t = sTs[rows[i]];
        while (j < h1 && hts[hOrd[j]] <= t) {
          j++;
        }
        if (j > h0) {
          int w = hOrd[j - 1];
          if (ttlMicros <= 0 || hts[w] >= t - ttlMicros) {
            winner[i] = w;
          }
        }
      }
    }
    return winner;
  }
}
