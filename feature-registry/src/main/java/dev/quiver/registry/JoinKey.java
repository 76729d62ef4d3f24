package dev.quiver.registry;

import java.util.Objects;

/** One join key of an entity: a name and a value type. */
public record JoinKey(String name, ValueType type) {
  public JoinKey {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
  }
}
