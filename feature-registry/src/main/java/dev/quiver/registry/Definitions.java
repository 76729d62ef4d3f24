package dev.quiver.registry;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A complete set of definitions, as read from a feature repo or built in Java: entities, sources,
 * feature views and feature services, each keyed by name (sorted, so iteration is deterministic).
 * Immutable. Not validated by construction: see {@link DefinitionValidator}.
 */
public record Definitions(Map<String, Entity> entities, Map<String, Source> sources,
                          Map<String, FeatureView> views, Map<String, FeatureService> services) {
  public static final Definitions EMPTY = new Definitions(Map.of(), Map.of(), Map.of(), Map.of());

  public Definitions {
    entities = Collections.unmodifiableMap(new TreeMap<>(entities));
    sources = Collections.unmodifiableMap(new TreeMap<>(sources));
    views = Collections.unmodifiableMap(new TreeMap<>(views));
    services = Collections.unmodifiableMap(new TreeMap<>(services));
  }

  public static Builder builder() {
    return new Builder();
  }

  public Optional<FeatureView> view(String name) {
    return Optional.ofNullable(views.get(name));
  }

  /** Equality of definitions, ignoring where each was read from. */
  public boolean sameDefinitions(Definitions o) {
    return sameKeys(entities, o.entities) && sameKeys(sources, o.sources)
        && sameKeys(views, o.views) && sameKeys(services, o.services)
        && entities.entrySet().stream().allMatch(e -> e.getValue().sameDefinition(o.entities.get(e.getKey())))
        && sources.entrySet().stream().allMatch(e -> e.getValue().sameDefinition(o.sources.get(e.getKey())))
        && views.entrySet().stream().allMatch(e -> e.getValue().sameDefinition(o.views.get(e.getKey())))
        && services.entrySet().stream().allMatch(e -> e.getValue().sameDefinition(o.services.get(e.getKey())));
  }

  private static boolean sameKeys(Map<String, ?> a, Map<String, ?> b) {
    return a.keySet().equals(b.keySet());
  }

  public static final class Builder {
    private final Map<String, Entity> entities = new TreeMap<>();
    private final Map<String, Source> sources = new TreeMap<>();
    private final Map<String, FeatureView> views = new TreeMap<>();
    private final Map<String, FeatureService> services = new TreeMap<>();

    public Builder withEntity(Entity e) {
      entities.put(e.name(), e);
      return this;
    }

    public Builder withSource(Source s) {
      sources.put(s.name(), s);
      return this;
    }

    public Builder withView(FeatureView v) {
      views.put(v.name(), v);
      return this;
    }

    public Builder withService(FeatureService s) {
      services.put(s.name(), s);
      return this;
    }

    public Definitions build() {
      return new Definitions(entities, sources, views, services);
    }
  }
}
