package dev.quiver.online.internal;

import java.util.Arrays;

/** A byte array with value equality, for maps keyed by entity-key bytes. */
public record ByteKey(byte[] bytes) {
  @Override
  public boolean equals(Object o) {
    return o instanceof ByteKey k && Arrays.equals(bytes, k.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return java.util.HexFormat.of().formatHex(bytes);
  }
}
