package dev.quiver.online;

/** The status of one looked-up feature value, as Feast names them. */
public enum FeatureStatus {
  /** A value is stored and fresh. */
  PRESENT,
  /** A row is stored and fresh, but this feature has no value in it (null, or added later). */
  NULL_VALUE,
  /** Nothing is stored for the entity in this feature view. */
  NOT_FOUND,
  /** A row is stored but older than the view's ttl at the lookup time; the value is null. */
  OUTSIDE_MAX_AGE
}
