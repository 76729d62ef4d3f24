package dev.quiver.registry;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** A named set of feature references that one model uses. */
public record FeatureService(String name, List<FeatureRef> features, String owner,
                             Map<String, String> tags, String description, SourceLocation location) {
  public FeatureService {
    Objects.requireNonNull(name, "name");
    features = List.copyOf(features);
    owner = owner == null ? "" : owner;
    tags = tags == null ? Map.of() : Map.copyOf(tags);
    description = description == null ? "" : description;
    location = location == null ? SourceLocation.NONE : location;
  }

  public static FeatureService of(String name, String... refs) {
    return new FeatureService(name,
        java.util.Arrays.stream(refs).map(r -> FeatureRef.parse(r, true)).toList(), "", Map.of(), "", null);
  }

  public boolean sameDefinition(FeatureService o) {
    return name.equals(o.name) && features.equals(o.features) && owner.equals(o.owner)
        && tags.equals(o.tags) && description.equals(o.description);
  }

  /** Whether this service uses any feature of {@code view}. */
  public boolean uses(String view) {
    return features.stream().anyMatch(r -> r.view().equals(view));
  }
}
