package dev.quiver.online.internal;

import dev.quiver.registry.QuiverException;
import java.nio.ByteBuffer;

/**
 * The online value layout, version 1. All integers big-endian:
 * <pre>
 *   offset size  field
 *   0      1     format version (0x01)
 *   1      8     event_ts, epoch microseconds (int64)
 *   9      8     created_ts, epoch microseconds (int64); Long.MIN_VALUE = no created time
 *   17     4     source partition (int32)
 *   21     8     source offset (int64)
 *   29     4     schema version of the feature view the features were written under (int32)
 *   33     ..    the Avro binary encoding of that version's
 *                {@link dev.quiver.registry.FeatureViewVersion#featureSchema()} record
 * </pre>
 * The key is the canonical entity-key bytes of {@link dev.quiver.registry.EntityKeyCodec}; the
 * column family is {@code view.<feature view name>}. The header is fixed-width so the ordering
 * rule can be applied on a stored value without decoding its features.
 */
public final class ValueCodec {
  public static final byte FORMAT_VERSION = 1;
  public static final int HEADER_BYTES = 33;

  private ValueCodec() {}

  /** The fixed-width header of a stored value. */
  public record Header(long eventMicros, long createdMicros, int partition, long offset, int schemaVersion) {}

  public static byte[] encode(Header h, byte[] avroFeatures) {
    ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + avroFeatures.length);
    b.put(FORMAT_VERSION).putLong(h.eventMicros()).putLong(h.createdMicros()).putInt(h.partition())
        .putLong(h.offset()).putInt(h.schemaVersion()).put(avroFeatures);
    return b.array();
  }

  /**
   * Reads the header of a stored value.
   *
   * @throws QuiverException naming the view when the bytes are not a version-1 value
   */
  public static Header header(String view, byte[] value) {
    check(view, value);
    ByteBuffer b = ByteBuffer.wrap(value, 1, HEADER_BYTES - 1);
    return new Header(b.getLong(), b.getLong(), b.getInt(), b.getLong(), b.getInt());
  }

  private static void check(String view, byte[] value) {
    if (value.length < HEADER_BYTES) {
      throw new QuiverException("Cannot decode online value of feature view " + view + ": "
          + value.length + " bytes is shorter than the " + HEADER_BYTES + "-byte header");
    }
    if (value[0] != FORMAT_VERSION) {
      throw new QuiverException("Cannot decode online value of feature view " + view
          + ": unknown format version " + value[0] + " (this build reads " + FORMAT_VERSION + ")");
    }
  }

  public static long eventMicros(byte[] value) {
    return ByteBuffer.wrap(value).getLong(1);
  }

  public static int schemaVersion(byte[] value) {
    return ByteBuffer.wrap(value).getInt(29);
  }
}
