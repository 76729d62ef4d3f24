package dev.quiver.registry;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks a set of definitions for every problem at once: names, types, references, reserved
 * columns, ttl. Each problem names the file, the line and the value.
 */
public final class DefinitionValidator {
  private DefinitionValidator() {}

  /** @throws InvalidDefinitionException listing every problem found */
  public static void validate(Definitions d) {
    List<DefinitionProblem> problems = new ArrayList<>();
    for (FeatureView v : d.views().values()) {
      for (String e : v.entities()) {
        if (!d.entities().containsKey(e)) {
          problems.add(problem(v.location(), "feature view " + v.name() + " references unknown entity \"" + e + "\""));
        }
      }
      if (v.source() != null && !d.sources().containsKey(v.source())) {
        problems.add(problem(v.location(), "feature view " + v.name() + " references unknown source \"" + v.source() + "\""));
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidDefinitionException(problems);
    }
  }

  static DefinitionProblem problem(SourceLocation where, String message) {
    return new DefinitionProblem(where.file(), where.line(), message);
  }
}
