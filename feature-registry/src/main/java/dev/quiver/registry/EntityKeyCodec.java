package dev.quiver.registry;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The canonical entity-key bytes: the online store's key and the Kafka record key.
 *
 * <p>Layout, version 1:
 * <pre>
 *   byte    format version (0x01)
 *   byte    number of join keys n
 *   n times, in the view's join-key order:
 *     byte  the key's {@link ValueType#tag()}
 *     INT32:  4 bytes big-endian
 *     INT64:  8 bytes big-endian
 *     STRING: 4-byte big-endian length, then UTF-8 bytes
 *     BYTES:  4-byte big-endian length, then the bytes
 * </pre>
 * Join-key names are not stored: a key is only ever read with the view it belongs to.
 */
public final class EntityKeyCodec {
  public static final byte FORMAT_VERSION = 1;

  private EntityKeyCodec() {}

  /**
   * Encodes the values of a view's join keys, given in the same order as {@code keys}.
   *
   * @throws UserInputException naming the key when a value is missing or of the wrong type
   */
  public static byte[] encode(List<JoinKey> keys, List<?> values) {
    if (keys.size() != values.size()) {
      throw new UserInputException("Cannot encode entity key: expected " + keys.size()
          + " join key values but got " + values.size());
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(2 + 9 * keys.size());
    out.write(FORMAT_VERSION);
    out.write(keys.size());
    for (int i = 0; i < keys.size(); i++) {
      JoinKey k = keys.get(i);
      Object raw = values.get(i);
      if (raw == null) {
        throw new UserInputException("Cannot encode entity key: join key " + k.name() + " is null");
      }
      Object v;
      try {
        v = k.type().coerce(raw);
      } catch (IllegalArgumentException e) {
        throw new UserInputException("Cannot encode entity key: join key " + k.name() + ": " + e.getMessage());
      }
      out.write(k.type().tag());
      switch (k.type()) {
        case INT32 -> out.writeBytes(ByteBuffer.allocate(4).putInt((Integer) v).array());
        case INT64 -> out.writeBytes(ByteBuffer.allocate(8).putLong((Long) v).array());
        case STRING -> writeBytes(out, ((String) v).getBytes(StandardCharsets.UTF_8));
        case BYTES -> writeBytes(out, (byte[]) v);
        default -> throw new UserInputException("Cannot encode entity key: join key " + k.name()
            + " has type " + k.type() + ", which cannot be a join key");
      }
    }
    return out.toByteArray();
  }

  /**
   * Decodes key bytes written by {@link #encode} for these join keys.
   *
   * @throws IllegalArgumentException when the bytes are not such a key
   */
  public static List<Object> decode(List<JoinKey> keys, byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    try {
      int version = b.get();
      if (version != FORMAT_VERSION) {
        throw new IllegalArgumentException("unknown entity key format version " + version);
      }
      int n = b.get() & 0xff;
      if (n != keys.size()) {
        throw new IllegalArgumentException("entity key has " + n + " join keys, expected " + keys.size());
      }
      List<Object> out = new ArrayList<>(n);
      for (JoinKey k : keys) {
        int tag = b.get() & 0xff;
        if (tag != k.type().tag()) {
          throw new IllegalArgumentException("join key " + k.name() + " has type tag " + tag
              + ", expected " + k.type().tag() + " (" + k.type() + ")");
        }
        switch (k.type()) {
          case INT32 -> out.add(b.getInt());
          case INT64 -> out.add(b.getLong());
          case STRING -> out.add(new String(readBytes(b), StandardCharsets.UTF_8));
          case BYTES -> out.add(readBytes(b));
          default -> throw new IllegalArgumentException("type " + k.type() + " cannot be a join key");
        }
      }
      if (b.hasRemaining()) {
        throw new IllegalArgumentException("entity key has " + b.remaining() + " trailing bytes");
      }
      return out;
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("entity key is truncated");
    }
  }

  private static void writeBytes(ByteArrayOutputStream out, byte[] bytes) {
    out.writeBytes(ByteBuffer.allocate(4).putInt(bytes.length).array());
    out.writeBytes(bytes);
  }

  private static byte[] readBytes(ByteBuffer b) {
    int len = b.getInt();
    if (len < 0 || len > b.remaining()) {
      throw new IllegalArgumentException("entity key field length " + len + " exceeds the key");
    }
    byte[] out = new byte[len];
    b.get(out);
    return out;
  }
}
