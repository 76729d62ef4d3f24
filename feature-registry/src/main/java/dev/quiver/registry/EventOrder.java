package dev.quiver.registry;

import java.util.Comparator;

/**
 * The one ordering rule, shared by the online store, the offline join and every test oracle:
 * value A supersedes B iff {@code (event_ts, created_ts, partition, offset)} of A is greater,
 * compared left to right. A missing created time ({@link FeatureEvent#NO_CREATED_TIME}) compares
 * as the smallest. Records of one entity share a partition, so in practice the last two
 * components compare offsets within one partition.
 */
public final class EventOrder {
  public static final Comparator<FeatureEvent> COMPARATOR = EventOrder::compare;

  private EventOrder() {}

  public static int compare(FeatureEvent a, FeatureEvent b) {
    return compare(a.eventMicros(), a.createdMicros(), a.partition(), a.offset(),
        b.eventMicros(), b.createdMicros(), b.partition(), b.offset());
  }

  /** Negative, zero or positive as A is superseded by, equal to, or supersedes B. */
  public static int compare(long eventA, long createdA, int partitionA, long offsetA,
                            long eventB, long createdB, int partitionB, long offsetB) {
    int c = Long.compare(eventA, eventB);
    if (c != 0) {
      return c;
    }
    c = Long.compare(createdA, createdB);
    if (c != 0) {
      return c;
    }
    c = Integer.compare(partitionA, partitionB);
    if (c != 0) {
      return c;
    }
    return Long.compare(offsetA, offsetB);
  }
}
