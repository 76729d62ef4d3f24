package dev.quiver.registry;

import java.util.Objects;

/**
 * An inclusive range of source offsets in one partition of one source topic.
 *
 * @param topic the Kafka topic the offsets belong to ({@code ""} when the source named none, e.g.
 *              events appended without a topic)
 */
public record OffsetRange(String topic, int partition, long firstOffset, long lastOffset) {
  public OffsetRange {
    Objects.requireNonNull(topic, "topic");
  }

  public boolean contains(long offset) {
    return offset >= firstOffset && offset <= lastOffset;
  }
}
