package dev.quiver.materializer.internal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The materializer's durable state of one topic-partition in the online store's metadata,
 * written in the same atomic write as the events it covers. The offline side's position is not
 * here: it lives in the offline store's own commit records ({@code OfflineSink#position}).
 *
 * <p>Meta key: {@code quiver.materializer/<group>/<topic>/<partition>} (UTF-8). Value layout,
 * version 2 (13 + 16 n bytes, big-endian):
 * <pre>
 *   byte     format version (0x02)
 *   int64    online next: every record below this offset is in the online store or needs none
 *   int32    n, the number of dead-letter ranges that follow
 *   n x      (int64 first offset, int64 last offset), inclusive, ascending, disjoint: records the
 *            materializer sent to the dead-letter topic at or above the partition's resume point
 *            (the lowest position of any sink), i.e. the ones a restart may read again
 * </pre>
 * The dead-letter ranges make a record's fate final: a record dead-lettered before a crash is
 * dead-lettered again (without a second write to the dead-letter topic) when it is read again
 * after it, even if the registry has learnt its fingerprint meanwhile; otherwise it could land in
 * the sink that was behind and not in the other.
 *
 * <p>Version 1 (17 bytes: version 0x01, int64 online next, int64 offline next) is still read; its
 * offline next is {@link #v1OfflineNext()} (-1 for version 2), which a materializer takes as the
 * offline position of an offline store holding only format-version-1 commit records.
 */
public record Positions(long onlineNext, List<Range> deadLetters, long v1OfflineNext) {
  public static final byte FORMAT_VERSION = 2;
  public static final Positions START = new Positions(0, List.of(), -1);

  /** An inclusive range of dead-lettered offsets. */
  public record Range(long first, long last) {}

  public Positions {
    deadLetters = List.copyOf(deadLetters);
  }

  public Positions(long onlineNext, List<Range> deadLetters) {
    this(onlineNext, deadLetters, -1);
  }

  public static String metaKey(String group, String topic, int partition) {
    return "quiver.materializer/" + group + "/" + topic + "/" + partition;
  }

  /** Whether {@code offset} lies in a remembered dead-letter range. */
  public boolean deadLettered(long offset) {
    int lo = 0;
    int hi = deadLetters.size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      Range r = deadLetters.get(mid);
      if (offset < r.first()) {
        hi = mid - 1;
      } else if (offset > r.last()) {
        lo = mid + 1;
      } else {
        return true;
      }
    }
    return false;
  }

  /** These positions with {@code offset} (above every offset remembered so far) dead-lettered. */
  public static List<Range> add(List<Range> ranges, long offset) {
    List<Range> out = new ArrayList<>(ranges);
    Range last = out.isEmpty() ? null : out.get(out.size() - 1);
    if (last != null && offset <= last.last()) {
      return ranges; // already remembered (a re-read)
    }
    if (last != null && offset == last.last() + 1) {
      out.set(out.size() - 1, new Range(last.first(), offset));
    } else {
      out.add(new Range(offset, offset));
    }
    return out;
  }

  /** The ranges without offsets below {@code from} (no restart reads them again). */
  public static List<Range> prune(List<Range> ranges, long from) {
    if (ranges.isEmpty() || ranges.get(0).first() >= from) {
      return ranges;
    }
    List<Range> out = new ArrayList<>();
    for (Range r : ranges) {
      if (r.last() >= from) {
        out.add(new Range(Math.max(r.first(), from), r.last()));
      }
    }
    return out;
  }

  public byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(13 + 16 * deadLetters.size()).put(FORMAT_VERSION).putLong(onlineNext)
        .putInt(deadLetters.size());
    for (Range r : deadLetters) {
      b.putLong(r.first()).putLong(r.last());
    }
    return b.array();
  }

  /**
   * @throws IllegalStateException naming the problem when the bytes are not a version-1 or
   *     version-2 position
   */
  public static Positions decode(String key, byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    if (bytes.length == 17 && bytes[0] == 1) {
      ByteBuffer b = ByteBuffer.wrap(bytes, 1, 16);
      long on = b.getLong();
      long off = b.getLong();
      if (on < 0 || off < 0) {
        throw new IllegalStateException("Cannot read materializer position " + key + ": negative offset");
      }
      return new Positions(on, List.of(), off);
    }
    if (bytes.length < 13 || bytes[0] != FORMAT_VERSION || (bytes.length - 13) % 16 != 0) {
      throw new IllegalStateException("Cannot read materializer position " + key + ": expected 17 bytes of"
          + " format version 1 or 13 + 16 n bytes of version 2, got " + bytes.length + " bytes"
          + (bytes.length > 0 ? " of version " + bytes[0] : ""));
    }
    ByteBuffer b = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
    long on = b.getLong();
    int n = b.getInt();
    if (on < 0 || n != (bytes.length - 13) / 16) {
      throw new IllegalStateException("Cannot read materializer position " + key + ": negative offset " + on
          + " or dead-letter count " + n + " not matching the length " + bytes.length);
    }
    List<Range> ranges = new ArrayList<>(n);
    long prev = -2;
    for (int i = 0; i < n; i++) {
      long first = b.getLong();
      long last = b.getLong();
      if (first < 0 || last < first || (i > 0 && first <= prev)) {
        throw new IllegalStateException("Cannot read materializer position " + key + ": dead-letter range "
            + first + ".." + last + " is empty, negative or not above the one before");
      }
      ranges.add(new Range(first, last));
      prev = last;
    }
    return new Positions(on, ranges, -1);
  }
}
