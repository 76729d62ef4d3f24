package dev.quiver.registry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A feature view definition: a named, typed group of features of some entities, fed by one
 * source. Immutable; build one with {@link #builder(String)}.
 *
 * @param ttl how long a value stays valid after its event time; {@link Duration#ZERO} = forever
 */
public record FeatureView(String name, List<String> entities, List<Feature> features, String source,
                          Duration ttl, boolean online, boolean offline, String owner,
                          Map<String, String> tags, String description, SourceLocation location) {
  public FeatureView {
    Objects.requireNonNull(name, "name");
    entities = List.copyOf(entities);
    features = List.copyOf(features);
    ttl = ttl == null ? Duration.ZERO : ttl;
    owner = owner == null ? "" : owner;
    tags = tags == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tags));
    description = description == null ? "" : description;
    location = location == null ? SourceLocation.NONE : location;
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  public Optional<Feature> feature(String featureName) {
    return features.stream().filter(f -> f.name().equals(featureName)).findFirst();
  }

  /** Equality of definitions, ignoring where they were read from. */
  public boolean sameDefinition(FeatureView o) {
    return name.equals(o.name) && entities.equals(o.entities) && features.equals(o.features)
        && Objects.equals(source, o.source) && ttl.equals(o.ttl) && online == o.online
        && offline == o.offline && owner.equals(o.owner) && tags.equals(o.tags)
        && description.equals(o.description);
  }

  public Builder toBuilder() {
    Builder b = new Builder(name);
    entities.forEach(b::withEntity);
    features.forEach(b::withFeature);
    return b.withSource(source).withTtl(ttl).withOnline(online).withOffline(offline)
        .withOwner(owner).withTags(tags).withDescription(description).withLocation(location);
  }

  public static final class Builder {
    private final String name;
    private final List<String> entities = new ArrayList<>();
    private final List<Feature> features = new ArrayList<>();
    private String source;
    private Duration ttl = Duration.ZERO;
    private boolean online = true;
    private boolean offline = true;
    private String owner = "";
    private Map<String, String> tags = new LinkedHashMap<>();
    private String description = "";
    private SourceLocation location = SourceLocation.NONE;

    private Builder(String name) {
      this.name = name;
    }

    public Builder withEntity(String entity) {
      entities.add(entity);
      return this;
    }

    public Builder withFeature(String featureName, ValueType type) {
      return withFeature(new Feature(featureName, type));
    }

    public Builder withFeature(Feature feature) {
      features.add(feature);
      return this;
    }

    public Builder withSource(String sourceName) {
      this.source = sourceName;
      return this;
    }

    public Builder withTtl(Duration ttl) {
      this.ttl = ttl;
      return this;
    }

    public Builder withOnline(boolean online) {
      this.online = online;
      return this;
    }

    public Builder withOffline(boolean offline) {
      this.offline = offline;
      return this;
    }

    public Builder withOwner(String owner) {
      this.owner = owner;
      return this;
    }

    public Builder withTags(Map<String, String> tags) {
      this.tags = new LinkedHashMap<>(tags);
      return this;
    }

    public Builder withTag(String key, String value) {
      this.tags.put(key, value);
      return this;
    }

    public Builder withDescription(String description) {
      this.description = description;
      return this;
    }

    public Builder withLocation(SourceLocation location) {
      this.location = location;
      return this;
    }

    public FeatureView build() {
      return new FeatureView(name, entities, features, source, ttl, online, offline, owner, tags,
          description, location);
    }
  }
}
