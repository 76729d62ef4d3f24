package dev.quiver.registry;

import java.util.Objects;

/** One feature of a view: a name, a value type, and an optional description (never null). */
public record Feature(String name, ValueType type, String description) {
  public Feature {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    description = description == null ? "" : description;
  }

  public Feature(String name, ValueType type) {
    this(name, type, "");
  }
}
