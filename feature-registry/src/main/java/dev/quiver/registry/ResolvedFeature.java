package dev.quiver.registry;

/**
 * A feature reference resolved against a registry snapshot: the view definition (ttl, flags),
 * the schema version the reference reads (the current one unless pinned), and the feature.
 */
public record ResolvedFeature(FeatureView view, FeatureViewVersion version, Feature feature) {
  /** {@code view:feature}, the name Feast's HTTP API uses with full feature names. */
  public String fullName() {
    return view.name() + ":" + feature.name();
  }

  /** {@code view__feature}, the column name of an export with full feature names. */
  public String columnName(boolean fullFeatureNames) {
    return fullFeatureNames ? view.name() + "__" + feature.name() : feature.name();
  }
}
