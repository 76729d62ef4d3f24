package dev.quiver.online;

import java.time.Instant;

/**
 * One looked-up value.
 *
 * @param value the value in its Java form (see {@link dev.quiver.registry.ValueType}); null unless
 *     {@code status} is {@link FeatureStatus#PRESENT}
 * @param status what the store found
 * @param eventTime the event time of the stored row; null when {@link FeatureStatus#NOT_FOUND}
 */
public record FeatureValue(Object value, FeatureStatus status, Instant eventTime) {
  public static final FeatureValue NOT_FOUND = new FeatureValue(null, FeatureStatus.NOT_FOUND, null);
}
