package dev.quiver.materializer.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The materializer's durable position of one topic-partition, stored in the online store's
 * metadata in the same atomic write as the events it covers.
 *
 * <p>Meta key: {@code quiver.materializer/<group>/<topic>/<partition>} (UTF-8). Value layout,
 * version 1 (17 bytes):
 * <pre>
 *   byte     format version (0x01)
 *   int64    online next: every record below this offset is in the online store (big-endian)
 *   int64    offline next: every record below this offset is in a committed Parquet flush or
 *            needs none (big-endian); records at or above it may still be in a committed flush,
 *            which the offline store's committed ranges tell
 * </pre>
 * Resuming from {@code min(online next, offline next)} loses nothing; each side skips what it
 * already holds.
 */
public record Positions(long onlineNext, long offlineNext) {
  public static final byte FORMAT_VERSION = 1;
  public static final int LENGTH = 17;
  public static final Positions START = new Positions(0, 0);

  public static String metaKey(String group, String topic, int partition) {
    return "quiver.materializer/" + group + "/" + topic + "/" + partition;
  }

  public long resumeAt() {
    return Math.min(onlineNext, offlineNext);
  }

  public byte[] encode() {
    return ByteBuffer.allocate(LENGTH).put(FORMAT_VERSION).putLong(onlineNext).putLong(offlineNext).array();
  }

  /**
   * @throws IllegalStateException naming the problem when the bytes are not a version-1 position
   */
  public static Positions decode(String key, byte[] bytes) {
    if (bytes.length != LENGTH || bytes[0] != FORMAT_VERSION) {
      throw new IllegalStateException("Cannot read materializer position " + key + ": expected "
          + LENGTH + " bytes of format version 1, got " + bytes.length + " bytes"
          + (bytes.length > 0 ? " of version " + bytes[0] : ""));
    }
    ByteBuffer b = ByteBuffer.wrap(bytes, 1, 16);
    long on = b.getLong();
    long off = b.getLong();
    if (on < 0 || off < 0) {
      throw new IllegalStateException("Cannot read materializer position " + key + ": negative offset");
    }
    return new Positions(on, off);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
