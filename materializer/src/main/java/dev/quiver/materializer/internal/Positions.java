package dev.quiver.materializer.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The materializer's durable state of one topic-partition in the online store's metadata,
 * written in the same atomic write as the events it covers. The offline side's position is not
 * here: it lives in the offline store's own commit records ({@code OfflineSink#position}).
 *
 * <p>Meta key: {@code quiver.materializer/<group>/<topic>/<partition>} (UTF-8). Value layout,
 * version 3 (big-endian):
 * <pre>
 *   byte     format version (0x03)
 *   int64    online next: every record below this offset is in the online store or needs none
 *   int32    n, the number of dead-letter ranges that follow
 *   n x      (int64 first offset, int64 last offset), inclusive, ascending, disjoint: records the
 *            materializer sent to the dead-letter topic at or above the partition's resume point
 *            (the lowest position of any sink), i.e. the ones a restart may read again
 *   int16    t, the length of the dead-letter topic's name in UTF-8 bytes; -1: no marks (nothing follows)
 *   t bytes  the dead-letter topic's name
 *   int32    m, the number of dead-letter partitions that follow
 *   m x      (int32 dead-letter partition, int64 next offset), partitions ascending: the marks
 * </pre>
 * The dead-letter ranges make a record's fate final: a record dead-lettered before a crash is
 * dead-lettered again (without a second write to the dead-letter topic) when it is read again
 * after it, even if the registry has learnt its fingerprint meanwhile; otherwise it could land in
 * the sink that was behind and not in the other.
 *
 * <p>The marks ({@link DeadLetterMarks}) cover the dead letters sent after this write (a crash
 * can come between a dead letter's send and the write that remembers it): every dead letter of
 * this partition that the ranges do not hold lies at or above its dead-letter partition's mark;
 * a dead-letter partition without a mark did not exist when the marks were taken (read it from
 * its start). A restart reads the dead-letter topic from the marks to its end and takes the
 * letters of this partition as decided. No marks: a restart reads nothing.
 *
 * <p>Version 2 (version 0x02, then the online next and the ranges as above, no marks) and version
 * 1 (17 bytes: version 0x01, int64 online next, int64 offline next) are still read; version 1's
 * offline next is {@link #v1OfflineNext()} (-1 otherwise), which a materializer takes as the
 * offline position of an offline store holding only format-version-1 commit records.
 */
public record Positions(long onlineNext, List<Range> deadLetters, DeadLetterMarks marks, long v1OfflineNext) {
  public static final byte FORMAT_VERSION = 3;
  public static final Positions START = new Positions(0, List.of(), null, -1);

  /** An inclusive range of dead-lettered offsets. */
  public record Range(long first, long last) {}

  /**
   * Per partition of the dead-letter topic {@code topic}, an offset at or above which every dead
   * letter sent after the write holding these marks lies ({@code next}: partition to offset).
   */
  public record DeadLetterMarks(String topic, Map<Integer, Long> next) {
    public DeadLetterMarks {
      Objects.requireNonNull(topic, "topic");
      next = Collections.unmodifiableSortedMap(new TreeMap<>(next));
    }
  }

  /** {@code marks} null: none recorded. */
  public Positions {
    deadLetters = List.copyOf(deadLetters);
  }

  public Positions(long onlineNext, List<Range> deadLetters, DeadLetterMarks marks) {
    this(onlineNext, deadLetters, marks, -1);
  }

  public Positions(long onlineNext, List<Range> deadLetters) {
    this(onlineNext, deadLetters, null, -1);
  }

  public static String metaKey(String group, String topic, int partition) {
    return "quiver.materializer/" + group + "/" + topic + "/" + partition;
  }

  /** Whether {@code offset} lies in a remembered dead-letter range. */
  public boolean deadLettered(long offset) {
    return contains(deadLetters, offset);
  }

  /** Whether {@code offset} lies in one of {@code ranges} (ascending, disjoint). */
  public static boolean contains(List<Range> ranges, long offset) {
    List<Range> deadLetters = ranges;
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

  /** The ranges with {@code offset} added (anywhere: merged with its neighbours; unchanged if held). */
  public static List<Range> add(List<Range> ranges, long offset) {
    if (contains(ranges, offset)) {
      return ranges; // already remembered (a re-read)
    }
    int i = 0;
    while (i < ranges.size() && ranges.get(i).last() < offset) {
      i++;
    }
    List<Range> out = new ArrayList<>(ranges);
    boolean joinsBefore = i > 0 && ranges.get(i - 1).last() == offset - 1;
    boolean joinsAfter = i < ranges.size() && ranges.get(i).first() == offset + 1;
    if (joinsBefore && joinsAfter) {
      out.set(i - 1, new Range(ranges.get(i - 1).first(), ranges.get(i).last()));
      out.remove(i);
    } else if (joinsBefore) {
      out.set(i - 1, new Range(ranges.get(i - 1).first(), offset));
    } else if (joinsAfter) {
      out.set(i, new Range(offset, ranges.get(i).last()));
    } else {
      out.add(i, new Range(offset, offset));
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
    byte[] topic = marks == null ? new byte[0] : marks.topic().getBytes(StandardCharsets.UTF_8);
    int size = 13 + 16 * deadLetters.size() + 2 + (marks == null ? 0 : topic.length + 4 + 12 * marks.next().size());
    ByteBuffer b = ByteBuffer.allocate(size).put(FORMAT_VERSION).putLong(onlineNext).putInt(deadLetters.size());
    for (Range r : deadLetters) {
      b.putLong(r.first()).putLong(r.last());
    }
    if (marks == null) {
      b.putShort((short) -1);
    } else {
      b.putShort((short) topic.length).put(topic).putInt(marks.next().size());
      marks.next().forEach((p, next) -> b.putInt(p).putLong(next));
    }
    return b.array();
  }

  /**
   * @throws IllegalStateException naming the problem when the bytes are not a version-1, -2 or -3
   *     position
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
      return new Positions(on, List.of(), null, off);
    }
    if (bytes.length < 13 || (bytes[0] != 2 && bytes[0] != FORMAT_VERSION)) {
      throw new IllegalStateException("Cannot read materializer position " + key + ": expected 17 bytes of"
          + " format version 1 or at least 13 bytes of version 2 or 3, got " + bytes.length + " bytes"
          + (bytes.length > 0 ? " of version " + bytes[0] : ""));
    }
    try {
      ByteBuffer b = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
      long on = b.getLong();
      int n = b.getInt();
      if (on < 0 || n < 0 || n > b.remaining() / 16) {
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
      DeadLetterMarks marks = bytes[0] == 2 ? null : decodeMarks(key, b);
      if (b.hasRemaining()) {
        throw new IllegalStateException("Cannot read materializer position " + key + ": " + b.remaining()
            + " bytes after the end of version " + bytes[0]);
      }
      return new Positions(on, ranges, marks, -1);
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalStateException("Cannot read materializer position " + key + ": truncated at "
          + bytes.length + " bytes of version " + bytes[0], e);
    }
  }

  private static DeadLetterMarks decodeMarks(String key, ByteBuffer b) {
    short t = b.getShort();
    if (t == -1) {
      return null;
    }
    if (t <= 0) {
      throw new IllegalStateException("Cannot read materializer position " + key + ": dead-letter topic name of "
          + t + " bytes");
    }
    byte[] topic = new byte[t];
    b.get(topic);
    int m = b.getInt();
    if (m < 0 || m > b.remaining() / 12) {
      throw new IllegalStateException("Cannot read materializer position " + key + ": dead-letter mark count " + m
          + " not matching the length");
    }
    Map<Integer, Long> next = new TreeMap<>();
    int prev = -1;
    for (int i = 0; i < m; i++) {
      int p = b.getInt();
      long o = b.getLong();
      if (p <= prev || o < 0) {
        throw new IllegalStateException("Cannot read materializer position " + key + ": dead-letter mark " + p
            + "=" + o + " is negative or not above the partition before");
      }
      next.put(p, o);
      prev = p;
    }
    return new DeadLetterMarks(new String(topic, StandardCharsets.UTF_8), next);
  }
}
