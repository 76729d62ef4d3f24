package dev.quiver.online.internal;

import dev.quiver.registry.EventOrder;
import dev.quiver.registry.QuiverException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The online value layout: per entity, the entries a read at any time from now on may need. All
 * integers big-endian.
 *
 * <p>Version 2 (written by this build):
 * <pre>
 *   offset size  field
 *   0      1     format version (0x02)
 *   1      4     entry count n (int32, at least 1)
 *   5      ..    n entries, strictly ascending in the ordering rule
 *                ({@link EventOrder}: event_ts, created_ts, partition, offset), each:
 *     +0   8     event_ts, epoch microseconds (int64)
 *     +8   8     created_ts, epoch microseconds (int64); Long.MIN_VALUE = no created time
 *     +16  4     source partition (int32)
 *     +20  8     source offset (int64)
 *     +28  4     schema version of the feature view the features were written under (int32)
 *     +32  4     length L of the feature bytes (int32)
 *     +36  L     the Avro binary encoding of that version's
 *                {@link dev.quiver.registry.FeatureViewVersion#featureSchema()} record
 * </pre>
 * The value ends right after the last entry. What the entries are: the superseding entry whose
 * event time had come when the value was written (the one a read at that time returns), followed
 * by the entries that supersede it but whose event time was still ahead, at most one per event time
 * (of entries with equal event times the superseding one is kept). The materializer accepts events
 * only up to a small skew ahead of its clock, so the future entries are few; a write drops the
 * entries that a later one whose time has come supersedes. A read at {@code now} returns the
 * last entry with {@code event_ts <= now}, or none, which is what the point-in-time join gives for
 * {@code t = now}.
 *
 * <p>Version 1 (written by earlier builds, still read): one entry without count and length:
 * <pre>
 *   0      1     format version (0x01)
 *   1      32    event_ts, created_ts, partition, offset, schema version (as above, +0 to +31)
 *   33     ..    the Avro feature record, to the end of the value
 * </pre>
 * The key is the canonical entity-key bytes of {@link dev.quiver.registry.EntityKeyCodec}; the
 * column family is {@code view.<feature view name>}. Headers are fixed-width so the ordering rule
 * and the choice of an entry need no decoding of features.
 */
public final class ValueCodec {
  public static final byte FORMAT_VERSION = 2;
  /** The single-entry layout of earlier builds. */
  public static final byte FORMAT_VERSION_1 = 1;
  /** The header of one entry: times, position, schema version. */
  public static final int ENTRY_HEADER_BYTES = 32;
  /** Version 1: format byte and one entry header. */
  public static final int V1_HEADER_BYTES = 1 + ENTRY_HEADER_BYTES;
  private static final int V2_PREFIX_BYTES = 1 + 4;
  private static final int V2_ENTRY_FIXED_BYTES = ENTRY_HEADER_BYTES + 4;

  private ValueCodec() {}

  /** The fixed-width header of a stored entry. */
  public record Header(long eventMicros, long createdMicros, int partition, long offset, int schemaVersion) {
    /** Negative, zero or positive as this entry is superseded by, equal to, or supersedes {@code o}. */
    public int compareTo(Header o) {
      return EventOrder.compare(eventMicros, createdMicros, partition, offset,
          o.eventMicros, o.createdMicros, o.partition, o.offset);
    }
  }

  /**
   * One entry of a value: its header and where its Avro feature bytes lie in {@code bytes} (which
   * may be the whole stored value; entries share it rather than copy).
   */
  public record Entry(Header header, byte[] bytes, int featuresOffset, int featuresLength) {
    public static Entry of(Header header, byte[] avroFeatures) {
      return new Entry(header, avroFeatures, 0, avroFeatures.length);
    }
  }

  /**
   * Encodes entries as a version-2 value.
   *
   * @param entries at least one, strictly ascending in the ordering rule
   */
  public static byte[] encode(List<Entry> entries) {
    if (entries.isEmpty()) {
      throw new IllegalArgumentException("Cannot encode online value: no entries");
    }
    int size = V2_PREFIX_BYTES;
    for (Entry e : entries) {
      size += V2_ENTRY_FIXED_BYTES + e.featuresLength();
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    b.put(FORMAT_VERSION).putInt(entries.size());
    Header previous = null;
    for (Entry e : entries) {
      Header h = e.header();
      if (previous != null && h.compareTo(previous) <= 0) {
        throw new IllegalArgumentException("Cannot encode online value: entries are not strictly ascending");
      }
      previous = h;
      b.putLong(h.eventMicros()).putLong(h.createdMicros()).putInt(h.partition()).putLong(h.offset())
          .putInt(h.schemaVersion()).putInt(e.featuresLength()).put(e.bytes(), e.featuresOffset(), e.featuresLength());
    }
    return b.array();
  }

  /** Encodes one entry as a version-2 value. */
  public static byte[] encode(Header h, byte[] avroFeatures) {
    return encode(List.of(Entry.of(h, avroFeatures)));
  }

  /**
   * The entries of a stored value (version 1 or 2), ascending in the ordering rule.
   *
   * @throws QuiverException naming the view when the bytes are not a well-formed value
   */
  public static List<Entry> entries(String view, byte[] value) {
    if (value.length == 0) {
      throw corrupt(view, "it is empty");
    }
    if (value[0] == FORMAT_VERSION_1) {
      if (value.length < V1_HEADER_BYTES) {
        throw corrupt(view, value.length + " bytes is shorter than the " + V1_HEADER_BYTES + "-byte version-1 header");
      }
      return List.of(new Entry(header(value, 1), value, V1_HEADER_BYTES, value.length - V1_HEADER_BYTES));
    }
    if (value[0] != FORMAT_VERSION) {
      throw corrupt(view, "unknown format version " + value[0] + " (this build reads " + FORMAT_VERSION_1
          + " and " + FORMAT_VERSION + ")");
    }
    if (value.length < V2_PREFIX_BYTES) {
      throw corrupt(view, value.length + " bytes is shorter than the " + V2_PREFIX_BYTES + "-byte version-2 prefix");
    }
    int n = ByteBuffer.wrap(value).getInt(1);
    if (n < 1) {
      throw corrupt(view, "entry count " + n + " is not positive");
    }
    // a corrupt count must not size an allocation; the loop finds where the bytes run out
    List<Entry> out = new ArrayList<>(Math.min(n, (value.length - V2_PREFIX_BYTES) / V2_ENTRY_FIXED_BYTES + 1));
    int pos = V2_PREFIX_BYTES;
    Header previous = null;
    for (int i = 0; i < n; i++) {
      if (value.length - pos < V2_ENTRY_FIXED_BYTES) {
        throw corrupt(view, "entry " + i + " of " + n + " is cut at byte " + value.length);
      }
      Header h = header(value, pos);
      int length = ByteBuffer.wrap(value).getInt(pos + ENTRY_HEADER_BYTES);
      int start = pos + V2_ENTRY_FIXED_BYTES;
      if (length < 0 || length > value.length - start) {
        throw corrupt(view, "entry " + i + " of " + n + " claims " + length + " feature bytes but "
            + (value.length - start) + " remain");
      }
      if (previous != null && h.compareTo(previous) <= 0) {
        throw corrupt(view, "entry " + i + " does not supersede entry " + (i - 1));
      }
      previous = h;
      out.add(new Entry(h, value, start, length));
      pos = start + length;
    }
    if (pos != value.length) {
      throw corrupt(view, (value.length - pos) + " bytes follow the last of " + n + " entries");
    }
    return out;
  }

  /**
   * The entry a read at {@code nowMicros} returns: the last (superseding) one whose event time is
   * at or before now; null when every entry lies ahead of now.
   *
   * @throws QuiverException naming the view when the bytes are not a well-formed value
   */
  public static Entry select(String view, byte[] value, long nowMicros) {
    List<Entry> entries = entries(view, value);
    for (int i = entries.size() - 1; i >= 0; i--) {
      if (entries.get(i).header().eventMicros() <= nowMicros) {
        return entries.get(i);
      }
    }
    return null;
  }

  /**
   * Merges entries and keeps those a read at {@code nowMicros} or later may return (see the class
   * comment): an entry is dropped when a later one supersedes it and becomes visible no later
   * than it does, i.e. the next entry's event time is at or before {@code max(now, its own)}.
   * Entries equal in the ordering rule are the same event; the first given is kept.
   *
   * @param entries in any order
   * @return strictly ascending in the ordering rule
   */
  public static List<Entry> retain(List<Entry> entries, long nowMicros) {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort((a, b) -> a.header().compareTo(b.header()));
    List<Entry> distinct = new ArrayList<>(sorted.size());
    for (Entry e : sorted) {
      if (distinct.isEmpty() || e.header().compareTo(distinct.get(distinct.size() - 1).header()) != 0) {
        distinct.add(e);
      }
    }
    List<Entry> out = new ArrayList<>(distinct.size());
    for (int i = 0; i < distinct.size(); i++) {
      Entry e = distinct.get(i);
      if (i + 1 < distinct.size()
          && distinct.get(i + 1).header().eventMicros() <= Math.max(nowMicros, e.header().eventMicros())) {
        continue;
      }
      out.add(e);
    }
    return out;
  }

  private static Header header(byte[] value, int at) {
    ByteBuffer b = ByteBuffer.wrap(value, at, ENTRY_HEADER_BYTES);
    return new Header(b.getLong(), b.getLong(), b.getInt(), b.getLong(), b.getInt());
  }

  private static QuiverException corrupt(String view, String reason) {
    return new QuiverException("Cannot decode online value of feature view " + view + ": " + reason);
  }
}
