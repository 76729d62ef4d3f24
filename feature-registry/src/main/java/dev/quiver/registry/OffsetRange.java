package dev.quiver.registry;

/** An inclusive range of source offsets in one partition. */
public record OffsetRange(int partition, long firstOffset, long lastOffset) {
  public boolean contains(long offset) {
    return offset >= firstOffset && offset <= lastOffset;
  }
}
