package dev.quiver.registry;

import java.util.List;
import java.util.Objects;

/**
 * One feature event as the stores receive it: a view, the schema version it was written under,
 * the entity's join-key values (in the view's join-key order), its times and source position,
 * and the feature values (in the order of that version's features; null = no value).
 *
 * <p>Times are epoch microseconds. {@code createdMicros} is {@link #NO_CREATED_TIME} when the
 * event has no created time; it then compares as the smallest (see {@link EventOrder}).
 * The position is (Kafka partition, offset), or for a Parquet batch source (index of the file in
 * sorted path order, row number in the file).
 */
public record FeatureEvent(String view, int schemaVersion, List<Object> keys, long eventMicros,
                           long createdMicros, int partition, long offset, List<Object> values) {
  public static final long NO_CREATED_TIME = Long.MIN_VALUE;

  public FeatureEvent {
    Objects.requireNonNull(view, "view");
    keys = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(keys));
    values = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(values));
  }

  /** Whether this event supersedes {@code other} under the one ordering rule. */
  public boolean supersedes(FeatureEvent other) {
    return EventOrder.compare(this, other) > 0;
  }
}
