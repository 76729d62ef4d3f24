package dev.quiver.online;

import dev.quiver.registry.ResolvedFeature;
import java.util.List;

/**
 * The result of a lookup: for each requested entity (in request order) and each requested
 * feature (in request order), a {@link FeatureValue}. Immutable.
 */
public final class OnlineFeatures {
  private final List<ResolvedFeature> features;
  private final EntityRows entities;
  private final FeatureValue[] values;

  /** {@code values} is row-major: entity {@code i}, feature {@code j} at {@code i * features + j}. */
  public OnlineFeatures(List<ResolvedFeature> features, EntityRows entities, FeatureValue[] values) {
    if (values.length != features.size() * entities.size()) {
      throw new IllegalArgumentException("expected " + features.size() * entities.size() + " values, got " + values.length);
    }
    this.features = List.copyOf(features);
    this.entities = entities;
    this.values = values.clone();
  }

  public List<ResolvedFeature> features() {
    return features;
  }

  public EntityRows entities() {
    return entities;
  }

  public int entityCount() {
    return entities.size();
  }

  /** The value of feature {@code feature} (index into {@link #features()}) for entity {@code entity}. */
  public FeatureValue value(int entity, int feature) {
    return values[entity * features.size() + feature];
  }
}
