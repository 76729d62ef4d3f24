package dev.quiver.offline.internal;

import it.unimi.dsi.fastutil.ints.IntArrays;

/**
 * The point-in-time join under the one ordering rule, on primitive arrays, without sorting the
 * history. Spine rows are bucketed by key id (a counting sort) and sorted by time within each
 * bucket. Each history row is a candidate for every spine row of its key with
 * {@code t >= event_ts}: a binary search finds the first such spine row, which keeps the
 * greatest candidate (under {@code (event_ts, created_ts, partition, offset)}) landing there; a
 * prefix maximum along the bucket then gives each spine row the greatest candidate with
 * {@code event_ts <= t}. It is kept when {@code ttl == 0} or {@code event_ts >= t - ttl}: the
 * greatest candidate has the latest event time, so if it is too old all are.
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
    // bucket spine entries (positions into rows) by key, then sort each bucket by time
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
    fill = null;
    long[] sortedTs = new long[valid];
    for (int k = 0; k < keyCount; k++) {
      int s0 = sStart[k];
      int s1 = sStart[k + 1];
      if (s1 - s0 > 1) {
        IntArrays.quickSort(sOrd, s0, s1, (a, b) -> Long.compare(sTs[rows[a]], sTs[rows[b]]));
      }
      for (int s = s0; s < s1; s++) {
        sortedTs[s] = sTs[rows[sOrd[s]]];
      }
    }
    // each history row lands on the first spine row of its key at or after its event time;
    // keys are split between threads (k % threads), so each owns its buckets of best[]
    int[] best = new int[valid];
    java.util.Arrays.fill(best, -1);
    int threads = h.n < 10_000 ? 1 : Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    final int[] sStartF = sStart;
    final int[] sOrdF = sOrd;
    java.util.stream.IntStream ids = java.util.stream.IntStream.range(0, threads);
    (threads > 1 ? ids.parallel() : ids).forEach(tid -> land(tid, threads, keyCount, sStartF, sortedTs, best, h));
    // prefix maximum along each bucket, then the ttl
    final long[] hts = h.ts;
    final long[] hcr = h.created;
    final int[] hpa = h.part;
    final long[] hof = h.off;
    for (int k = 0; k < keyCount; k++) {
      int cur = -1;
      for (int s = sStartF[k], e = sStartF[k + 1]; s < e; s++) {
        int b = best[s];
        if (b >= 0 && (cur < 0 || supersedes(b, cur, hts, hcr, hpa, hof))) {
          cur = b;
        }
        if (cur >= 0 && (ttlMicros <= 0 || hts[cur] >= sortedTs[s] - ttlMicros)) {
          winner[sOrdF[s]] = cur;
        }
      }
    }
    return winner;
  }

  private static void land(int tid, int threads, int keyCount, int[] sStart, long[] sortedTs, int[] best, History h) {
    final long[] hts = h.ts;
    final long[] hcr = h.created;
    final int[] hpa = h.part;
    final long[] hof = h.off;
    final int[] hkey = h.key;
    for (int j = 0, m = h.n; j < m; j++) {
      int k = hkey[j];
      if (k < 0 || k >= keyCount || k % threads != tid) {
        continue;
      }
      int lo = sStart[k];
      int end = sStart[k + 1];
      int hi = end;
      long t = hts[j];
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (sortedTs[mid] < t) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      if (lo == end) {
        continue;
      }
      int b = best[lo];
      if (b < 0 || supersedes(j, b, hts, hcr, hpa, hof)) {
        best[lo] = j;
      }
    }
  }

  private static boolean supersedes(int a, int b, long[] ts, long[] cr, int[] pa, long[] of) {
    if (ts[a] != ts[b]) {
      return ts[a] > ts[b];
    }
    if (cr[a] != cr[b]) {
      return cr[a] > cr[b];
    }
    if (pa[a] != pa[b]) {
      return pa[a] > pa[b];
    }
    return of[a] > of[b];
  }
}
