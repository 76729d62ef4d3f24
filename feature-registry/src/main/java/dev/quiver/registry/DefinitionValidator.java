package dev.quiver.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a set of definitions for every problem at once: names, types, references, reserved
 * columns, ttl. Each problem names the file, the line and the value.
 *
 * <p>Rules: every entity, join key, source, view, feature and service name matches
 * {@code [a-z][a-z0-9_]*}; no feature or join key takes a reserved column name
 * ({@link Names#RESERVED}); join keys have a key type ({@link ValueType#isJoinKeyType()});
 * a view's entities and source exist, its join keys are distinct, no feature is named like one of
 * its join keys or like another feature, its ttl is not negative; a service references views and
 * features that exist (pinned versions are checked when resolved against a snapshot).
 */
public final class DefinitionValidator {
  private DefinitionValidator() {}

  /** @throws InvalidDefinitionException listing every problem found */
  public static void validate(Definitions d) {
    List<DefinitionProblem> problems = problems(d, Map.of());
    if (!problems.isEmpty()) {
      throw new InvalidDefinitionException(problems);
    }
  }

  /**
   * Every problem of {@code d}. {@code where} holds finer locations than the definitions carry,
   * keyed {@code entity/<e>/key/<i>}, {@code view/<v>/entity/<i>}, {@code view/<v>/source},
   * {@code view/<v>/ttl}, {@code view/<v>/feature/<i>}, {@code service/<s>/ref/<i>} (0-based
   * indexes); a missing key falls back to the definition's own location.
   */
  static List<DefinitionProblem> problems(Definitions d, Map<String, SourceLocation> where) {
    List<DefinitionProblem> problems = new ArrayList<>();
    for (Entity e : d.entities().values()) {
      name(problems, e.location(), "an entity", e.name());
      if (e.joinKeys().isEmpty()) {
        problems.add(problem(e.location(), "entity " + e.name() + " has no join keys"));
      }
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < e.joinKeys().size(); i++) {
        JoinKey k = e.joinKeys().get(i);
        SourceLocation at = where.getOrDefault("entity/" + e.name() + "/key/" + i, e.location());
        String what = "join key \"" + k.name() + "\" of entity " + e.name();
        name(problems, at, "a join key of entity " + e.name(), k.name());
        reserved(problems, at, what, k.name());
        if (!k.type().isJoinKeyType()) {
          problems.add(problem(at, what + " has type " + k.type().typeName()
              + ", which cannot be a join key (use INT32, INT64, STRING or BYTES)"));
        }
        if (!seen.add(k.name())) {
          problems.add(problem(at, "duplicate " + what));
        }
      }
    }
    for (Source s : d.sources().values()) {
      name(problems, s.location(), "a source", s.name());
      if (s.kind() == Source.Kind.PARQUET && (s.path() == null || s.path().isBlank())) {
        problems.add(problem(s.location(), "parquet source " + s.name() + " has no path"));
      }
    }
    for (FeatureView v : d.views().values()) {
      String what = "feature view " + v.name();
      name(problems, v.location(), "a feature view", v.name());
      Map<String, String> keyOwner = new HashMap<>();
      for (int i = 0; i < v.entities().size(); i++) {
        String e = v.entities().get(i);
        SourceLocation at = where.getOrDefault("view/" + v.name() + "/entity/" + i, v.location());
        Entity entity = d.entities().get(e);
        if (entity == null) {
          problems.add(problem(at, what + " references unknown entity \"" + e + "\"" + known(d.entities().keySet())));
          continue;
        }
        for (JoinKey k : entity.joinKeys()) {
          String other = keyOwner.putIfAbsent(k.name(), e);
          if (other != null) {
            problems.add(problem(at, what + " has join key \"" + k.name() + "\" twice (from entities "
                + other + " and " + e + ")"));
          }
        }
      }
      if (v.source() != null && !d.sources().containsKey(v.source())) {
        problems.add(problem(where.getOrDefault("view/" + v.name() + "/source", v.location()),
            what + " references unknown source \"" + v.source() + "\"" + known(d.sources().keySet())));
      }
      if (v.ttl().isNegative()) {
        problems.add(problem(where.getOrDefault("view/" + v.name() + "/ttl", v.location()),
            what + " has a negative ttl \"" + Durations.format(v.ttl()) + "\" (use 0 for forever)"));
      }
      Set<String> features = new HashSet<>();
      for (int i = 0; i < v.features().size(); i++) {
        Feature f = v.features().get(i);
        SourceLocation at = where.getOrDefault("view/" + v.name() + "/feature/" + i, v.location());
        String fw = "feature \"" + f.name() + "\" of " + what;
        name(problems, at, "a feature of " + what, f.name());
        reserved(problems, at, fw, f.name());
        if (keyOwner.containsKey(f.name())) {
          problems.add(problem(at, fw + " is named like the join key of entity " + keyOwner.get(f.name())));
        }
        if (!features.add(f.name())) {
          problems.add(problem(at, "duplicate " + fw));
        }
      }
    }
    for (FeatureService s : d.services().values()) {
      name(problems, s.location(), "a feature service", s.name());
      for (int i = 0; i < s.features().size(); i++) {
        FeatureRef r = s.features().get(i);
        SourceLocation at = where.getOrDefault("service/" + s.name() + "/ref/" + i, s.location());
        FeatureView v = d.views().get(r.view());
        if (v == null) {
          problems.add(problem(at, "feature service " + s.name() + " references unknown feature view \""
              + r.view() + "\" in \"" + r + "\"" + known(d.views().keySet())));
        } else if (!r.isWholeView() && r.version() == null && v.feature(r.feature()).isEmpty()) {
          problems.add(problem(at, "feature service " + s.name() + " references unknown feature \"" + r
              + "\" (view " + v.name() + " has " + v.features().stream().map(Feature::name).toList() + ")"));
        }
      }
    }
    return problems;
  }

  private static void name(List<DefinitionProblem> problems, SourceLocation at, String kind, String name) {
    if (!Names.isValid(name) && !Names.RESERVED.contains(name)) {
      problems.add(problem(at, "invalid name \"" + name + "\" for " + kind
          + " (names must match [a-z][a-z0-9_]*: lower case letters, digits and _)"));
    }
  }

  private static void reserved(List<DefinitionProblem> problems, SourceLocation at, String what, String name) {
    if (Names.RESERVED.contains(name)) {
      problems.add(problem(at, what + " uses a reserved column name (reserved: "
          + String.join(", ", new java.util.TreeSet<>(Names.RESERVED)) + ")"));
    }
  }

  private static String known(Set<String> names) {
    return names.isEmpty() ? " (none is defined)" : " (known: " + String.join(", ", names) + ")";
  }

  static DefinitionProblem problem(SourceLocation where, String message) {
    return new DefinitionProblem(where.file(), where.line(), message);
  }
}
