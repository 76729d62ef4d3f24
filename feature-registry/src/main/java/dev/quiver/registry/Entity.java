package dev.quiver.registry;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** An entity: a name and its join keys, in a fixed order. */
public record Entity(String name, List<JoinKey> joinKeys, String description, SourceLocation location) {
  public Entity {
    Objects.requireNonNull(name, "name");
    joinKeys = List.copyOf(joinKeys);
    description = description == null ? "" : description;
    location = location == null ? SourceLocation.NONE : location;
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** Equality of definitions, ignoring where they were read from. */
  public boolean sameDefinition(Entity o) {
    return name.equals(o.name) && joinKeys.equals(o.joinKeys) && description.equals(o.description);
  }

  public static final class Builder {
    private final String name;
    private final List<JoinKey> joinKeys = new ArrayList<>();
    private String description = "";
    private SourceLocation location = SourceLocation.NONE;

    private Builder(String name) {
      this.name = name;
    }

    public Builder withJoinKey(String keyName, ValueType type) {
      joinKeys.add(new JoinKey(keyName, type));
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

    public Entity build() {
      return new Entity(name, joinKeys, description, location);
    }
  }
}
