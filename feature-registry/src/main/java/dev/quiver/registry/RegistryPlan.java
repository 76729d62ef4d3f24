package dev.quiver.registry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiPredicate;
import java.util.stream.Collectors;

/**
 * The difference between the registry's latest snapshot and a new set of definitions, as
 * {@code quiver plan} prints it: what is added, changed and removed, each change with a verdict.
 *
 * <p>Compatible: adding an entity, source, view or service; adding a (nullable) feature; widening
 * a feature from INT32 to INT64 or FLOAT32 to FLOAT64 (Avro schema resolution promotes the old
 * values); reordering features; changing ttl, description, tags, owner, online/offline flags, a
 * view's source or a source's settings. Breaking: removing or renaming a feature, narrowing or
 * otherwise changing its type, changing a view's entities or join keys (also through its
 * entity), removing a view, and removing a service or features from it.
 *
 * <p>{@link #apply} commits atomically through a {@link RegistryStore} (compare-and-swap on the
 * plan's base version). It refuses a breaking change to a view that a registered service uses
 * unless the same apply changes (or removes) that service too, or breaking changes are allowed.
 */
public final class RegistryPlan {
  /** What kind of definition a change is about. */
  public enum Kind {
    ENTITY("entity"), SOURCE("source"), FEATURE_VIEW("feature view"), FEATURE_SERVICE("feature service");

    private final String label;

    Kind(String label) {
      this.label = label;
    }

    /** How plans print the kind: {@code feature view}. */
    public String label() {
      return label;
    }
  }

  public enum Action {
    ADD("+"), CHANGE("~"), REMOVE("-");

    private final String symbol;

    Action(String symbol) {
      this.symbol = symbol;
    }

    /** {@code +}, {@code ~} or {@code -}, as terraform prints them. */
    public String symbol() {
      return symbol;
    }
  }

  public enum Verdict { COMPATIBLE, BREAKING }

  /** One aspect of a change, e.g. {@code ~ feature conv_rate FLOAT32 -> FLOAT64}, with its verdict and why. */
  public record Detail(Action action, String what, Verdict verdict, String reason) {}

  /**
   * One added, changed or removed definition.
   *
   * @param schema for a view whose schema changes, e.g. {@code schema v1 -> v2}; else empty
   */
  public record Change(Kind kind, String name, Action action, List<Detail> details, String schema) {
    public Change {
      details = List.copyOf(details);
      schema = schema == null ? "" : schema;
    }

    /** BREAKING when any detail is breaking. */
    public Verdict verdict() {
      return details.stream().anyMatch(d -> d.verdict() == Verdict.BREAKING) ? Verdict.BREAKING : Verdict.COMPATIBLE;
    }
  }

  private final RegistrySnapshot base;
  private final Definitions target;
  private final List<Change> changes;

  private RegistryPlan(RegistrySnapshot base, Definitions target, List<Change> changes) {
    this.base = base;
    this.target = target;
    this.changes = List.copyOf(changes);
  }

  /**
   * The plan from {@code base} to {@code target}. Validates {@code target} first.
   *
   * @throws InvalidDefinitionException listing every problem of {@code target}
   */
  public static RegistryPlan between(RegistrySnapshot base, Definitions target) {
    DefinitionValidator.validate(target);
    checkPinnedVersions(base, target);
    Definitions from = base.definitions();
    List<Change> changes = new ArrayList<>();
    diff(changes, Kind.ENTITY, from.entities(), target.entities(), Entity::sameDefinition,
        RegistryPlan::entityAdded, e -> new Detail(Action.REMOVE, "entity " + e.name(), Verdict.COMPATIBLE,
            "no view uses it any more"), RegistryPlan::entityChanged);
    diff(changes, Kind.SOURCE, from.sources(), target.sources(), Source::sameDefinition,
        RegistryPlan::sourceAdded, s -> new Detail(Action.REMOVE, "source " + s.name(), Verdict.COMPATIBLE,
            "no view reads it any more"), RegistryPlan::sourceChanged);
    viewChanges(changes, base, target);
    diff(changes, Kind.FEATURE_SERVICE, from.services(), target.services(), FeatureService::sameDefinition,
        s -> List.of(new Detail(Action.ADD, "features " + refs(s), Verdict.COMPATIBLE, "new feature service")),
        s -> new Detail(Action.REMOVE, "feature service " + s.name(), Verdict.BREAKING,
            "models fetching " + s.name() + " fail"), RegistryPlan::serviceChanged);
    return new RegistryPlan(base, target, changes);
  }

  /**
   * A service may pin {@code view@vN:feature}; the version must exist once the plan is applied, and
   * the feature must keep its type in the later versions (see {@link RegistrySnapshot#resolve}).
   */
  private static void checkPinnedVersions(RegistrySnapshot base, Definitions target) {
    List<DefinitionProblem> problems = new ArrayList<>();
    RegistrySnapshot preview = null;
    for (FeatureService s : target.services().values()) {
      for (FeatureRef ref : s.features()) {
        if (ref.version() == null) {
          continue;
        }
        if (preview == null) {
          preview = base.withDefinitions(target, Instant.EPOCH, "preview");
        }
        try {
          preview.resolve(List.of(ref));
        } catch (UserInputException e) {
          String why = e instanceof NoSuchFeatureViewException || e instanceof NoSuchFeatureException
              ? "which does not exist" : "which cannot be read after this plan";
          problems.add(DefinitionValidator.problem(s.location(), "feature service " + s.name() + " references \""
              + ref + "\", " + why + ": " + e.getMessage()));
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidDefinitionException(problems);
    }
  }

  /** The snapshot the plan was computed against. */
  public RegistrySnapshot base() {
    return base;
  }

  /** The definitions the plan leads to. */
  public Definitions target() {
    return target;
  }

  /** Every change: entities, sources, views, services, each sorted by name. */
  public List<Change> changes() {
    return changes;
  }

  public boolean isEmpty() {
    return changes.isEmpty();
  }

  public boolean hasBreakingChanges() {
    return changes.stream().anyMatch(c -> c.verdict() == Verdict.BREAKING);
  }

  /** The change of one definition, if it changes. */
  public java.util.Optional<Change> change(Kind kind, String name) {
    return changes.stream().filter(c -> c.kind() == kind && c.name().equals(name)).findFirst();
  }

  /**
   * The breaking view changes that {@link #apply} refuses without {@code allowBreaking}: view name to
   * the registered services that use the view and that this plan leaves unchanged.
   */
  public Map<String, List<String>> refusals() {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Change c : changes) {
      if (c.kind() != Kind.FEATURE_VIEW || c.action() == Action.ADD || c.verdict() != Verdict.BREAKING) {
        continue;
      }
      List<String> users = new ArrayList<>();
      for (FeatureService s : base.definitions().services().values()) {
        FeatureService next = target.services().get(s.name());
        if (s.uses(c.name()) && next != null && next.sameDefinition(s)) {
          users.add(s.name());
        }
      }
      if (!users.isEmpty()) {
        out.put(c.name(), users);
      }
    }
    return out;
  }

  /**
   * Commits the plan: the next snapshot ({@link RegistrySnapshot#withDefinitions}, new schema
   * versions where schemas change) through {@code store}, by compare-and-swap on {@link #base()}'s
   * version. Does nothing and returns the base when the plan is empty.
   *
   * @return the committed snapshot
   * @throws IncompatibleChangeException naming the views and the services they would break, when
   *     {@link #refusals()} is not empty and {@code allowBreaking} is false
   * @throws RegistryConflictException when the registry changed since {@link #base()} was read
   */
  public RegistrySnapshot apply(RegistryStore store, Instant appliedAt, boolean allowBreaking) {
    if (isEmpty()) {
      return base;
    }
    Map<String, List<String>> refused = refusals();
    if (!allowBreaking && !refused.isEmpty()) {
      String which = refused.entrySet().stream()
          .map(e -> "feature view " + e.getKey() + " (" + breakingReasons(e.getKey()) + ") is used by feature "
              + (e.getValue().size() == 1 ? "service " : "services ") + String.join(", ", e.getValue()))
          .collect(Collectors.joining("; "));
      throw new IncompatibleChangeException("Cannot apply breaking change: " + which
          + ". Change those services in the same apply, or pass --allow-breaking");
    }
    RegistrySnapshot next = base.withDefinitions(target, appliedAt, summary());
    store.commit(next);
    return next;
  }

  private String breakingReasons(String view) {
    return change(Kind.FEATURE_VIEW, view).map(c -> c.details().stream()
        .filter(d -> d.verdict() == Verdict.BREAKING)
        .map(Detail::what).collect(Collectors.joining(", "))).orElse("");
  }

  /** One line: {@code + feature view a, ~ feature service b}, or {@code no changes}. */
  public String summary() {
    if (changes.isEmpty()) {
      return "no changes";
    }
    return changes.stream().map(c -> c.action().symbol() + " " + c.kind().label() + " " + c.name())
        .collect(Collectors.joining(", "));
  }

  /** The plan as {@code quiver plan} prints it, like terraform: {@code +} add, {@code ~} change, {@code -} remove. */
  public String render() {
    StringBuilder sb = new StringBuilder();
    if (changes.isEmpty()) {
      sb.append("No changes. The registry (version ").append(base.version())
          .append(") matches the definitions.\n");
      return sb.toString();
    }
    sb.append("Quiver will make these changes to the registry (version ").append(base.version())
        .append(" -> ").append(base.version() + 1).append("):\n");
    for (Change c : changes) {
      sb.append('\n').append("  ").append(c.action().symbol()).append(' ').append(c.kind().label()).append(' ')
          .append(c.name());
      if (!c.schema().isEmpty()) {
        sb.append("  (").append(c.schema()).append(')');
      }
      if (c.verdict() == Verdict.BREAKING) {
        sb.append("  [BREAKING]");
      }
      sb.append('\n');
      for (Detail d : c.details()) {
        sb.append("      ").append(d.action().symbol()).append(' ').append(d.what()).append("    ")
            .append(d.verdict() == Verdict.BREAKING ? "BREAKING" : "compatible").append(": ").append(d.reason())
            .append('\n');
      }
    }
    long add = changes.stream().filter(c -> c.action() == Action.ADD).count();
    long change = changes.stream().filter(c -> c.action() == Action.CHANGE).count();
    long remove = changes.stream().filter(c -> c.action() == Action.REMOVE).count();
    long breaking = changes.stream().filter(c -> c.verdict() == Verdict.BREAKING).count();
    sb.append("\nPlan: ").append(add).append(" to add, ").append(change).append(" to change, ").append(remove)
        .append(" to remove; ").append(breaking).append(" breaking.\n");
    Map<String, List<String>> refused = refusals();
    if (!refused.isEmpty()) {
      sb.append("\nApply will refuse this plan without --allow-breaking:\n");
      refused.forEach((v, s) -> sb.append("  feature view ").append(v).append(" is used by feature ")
          .append(s.size() == 1 ? "service " : "services ").append(String.join(", ", s)).append('\n'));
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return render();
  }

  // ---- diffing ----

  private static <T> void diff(List<Change> out, Kind kind, Map<String, T> from, Map<String, T> to,
                               BiPredicate<T, T> same, java.util.function.Function<T, List<Detail>> added,
                               java.util.function.Function<T, Detail> removed,
                               java.util.function.BiFunction<T, T, List<Detail>> changed) {
    Set<String> names = new TreeSet<>(from.keySet());
    names.addAll(to.keySet());
    for (String n : names) {
      T a = from.get(n);
      T b = to.get(n);
      if (a == null) {
        out.add(new Change(kind, n, Action.ADD, added.apply(b), ""));
      } else if (b == null) {
        out.add(new Change(kind, n, Action.REMOVE, List.of(removed.apply(a)), ""));
      } else if (!same.test(a, b)) {
        out.add(new Change(kind, n, Action.CHANGE, changed.apply(a, b), ""));
      }
    }
  }

  private static List<Detail> entityAdded(Entity e) {
    return List.of(new Detail(Action.ADD, "join keys " + keys(e.joinKeys()), Verdict.COMPATIBLE, "new entity"));
  }

  private static List<Detail> entityChanged(Entity a, Entity b) {
    List<Detail> d = new ArrayList<>();
    if (!a.joinKeys().equals(b.joinKeys())) {
      d.add(new Detail(Action.CHANGE, "join keys " + keys(a.joinKeys()) + " -> " + keys(b.joinKeys()),
          Verdict.BREAKING, "stored values are keyed by the old join keys"));
    }
    text(d, "description", a.description(), b.description());
    return d;
  }

  private static List<Detail> sourceAdded(Source s) {
    return List.of(new Detail(Action.ADD, describe(s), Verdict.COMPATIBLE, "new source"));
  }

  private static List<Detail> sourceChanged(Source a, Source b) {
    List<Detail> d = new ArrayList<>();
    if (!describe(a).equals(describe(b))) {
      d.add(new Detail(Action.CHANGE, describe(a) + " -> " + describe(b), Verdict.COMPATIBLE,
          "where events come from changes; stored features keep their schema"));
    }
    text(d, "timestamp_field", a.timestampField(), b.timestampField(), "event times are read from another field");
    text(d, "created_timestamp_field", a.createdTimestampField(), b.createdTimestampField(),
        "created times are read from another field");
    text(d, "description", a.description(), b.description());
    return d;
  }

  private static String describe(Source s) {
    return s.kind() == Source.Kind.KAFKA
        ? "kafka topic " + (s.topic() == null ? "(default quiver.<view>)" : s.topic())
        : "parquet path " + s.path();
  }

  private static void viewChanges(List<Change> out, RegistrySnapshot base, Definitions target) {
    Definitions from = base.definitions();
    Set<String> names = new TreeSet<>(from.views().keySet());
    names.addAll(target.views().keySet());
    for (String n : names) {
      FeatureView a = from.views().get(n);
      FeatureView b = target.views().get(n);
      String schema = schemaNote(base, target, b);
      if (a == null) {
        out.add(new Change(Kind.FEATURE_VIEW, n, Action.ADD, List.of(new Detail(Action.ADD,
            "join keys " + keys(RegistrySnapshot.joinKeys(target, b)) + ", features " + features(b.features()),
            Verdict.COMPATIBLE, "new feature view")), schema));
      } else if (b == null) {
        out.add(new Change(Kind.FEATURE_VIEW, n, Action.REMOVE, List.of(new Detail(Action.REMOVE,
            "feature view " + n, Verdict.BREAKING,
            "its features can no longer be read or materialized (stored data is kept)")), ""));
      } else {
        List<Detail> d = viewChanged(a, b, RegistrySnapshot.joinKeys(from, a), RegistrySnapshot.joinKeys(target, b));
        if (!d.isEmpty()) {
          out.add(new Change(Kind.FEATURE_VIEW, n, Action.CHANGE, d, schema));
        }
      }
    }
  }

  private static String schemaNote(RegistrySnapshot base, Definitions target, FeatureView b) {
    if (b == null) {
      return "";
    }
    List<FeatureViewVersion> versions = base.viewVersions().getOrDefault(b.name(), List.of());
    List<JoinKey> keys = RegistrySnapshot.joinKeys(target, b);
    if (versions.isEmpty()) {
      return "schema v1";
    }
    FeatureViewVersion last = versions.get(versions.size() - 1);
    if (last.sameSchema(keys, b.features())) {
      return "";
    }
    return "schema v" + last.version() + " -> v" + (last.version() + 1);
  }

  private static List<Detail> viewChanged(FeatureView a, FeatureView b, List<JoinKey> keysA, List<JoinKey> keysB) {
    List<Detail> d = new ArrayList<>();
    if (!a.entities().equals(b.entities())) {
      d.add(new Detail(Action.CHANGE, "entities " + a.entities() + " -> " + b.entities(), Verdict.BREAKING,
          "the view's join keys change"));
    }
    if (!keysA.equals(keysB)) {
      d.add(new Detail(Action.CHANGE, "join keys " + keys(keysA) + " -> " + keys(keysB), Verdict.BREAKING,
          "stored values are keyed by the old join keys"));
    }
    featureChanges(d, a, b);
    text(d, "source", a.source(), b.source(), "events come from another source; stored features keep their schema");
    if (!a.ttl().equals(b.ttl())) {
      d.add(new Detail(Action.CHANGE, "ttl " + Durations.format(a.ttl()) + " -> " + Durations.format(b.ttl()),
          Verdict.COMPATIBLE, "only how long values stay valid changes"));
    }
    if (a.online() != b.online()) {
      d.add(new Detail(Action.CHANGE, "online " + a.online() + " -> " + b.online(), Verdict.COMPATIBLE,
          "only where the view is materialized changes"));
    }
    if (a.offline() != b.offline()) {
      d.add(new Detail(Action.CHANGE, "offline " + a.offline() + " -> " + b.offline(), Verdict.COMPATIBLE,
          "only where the view is materialized changes"));
    }
    text(d, "owner", a.owner(), b.owner());
    if (!a.tags().equals(b.tags())) {
      d.add(new Detail(Action.CHANGE, "tags " + a.tags() + " -> " + b.tags(), Verdict.COMPATIBLE, "metadata only"));
    }
    text(d, "description", a.description(), b.description());
    return d;
  }

  private static void featureChanges(List<Detail> d, FeatureView a, FeatureView b) {
    Map<String, Feature> oldByName = new LinkedHashMap<>();
    a.features().forEach(f -> oldByName.put(f.name(), f));
    Map<String, Feature> newByName = new LinkedHashMap<>();
    b.features().forEach(f -> newByName.put(f.name(), f));
    // A feature that disappears where a new one of the same type appears at the same position is a rename.
    Map<String, String> renamed = new HashMap<>();
    for (int i = 0; i < a.features().size() && i < b.features().size(); i++) {
      Feature o = a.features().get(i);
      Feature n = b.features().get(i);
      if (!newByName.containsKey(o.name()) && !oldByName.containsKey(n.name()) && o.type() == n.type()) {
        renamed.put(o.name(), n.name());
      }
    }
    for (Feature o : a.features()) {
      Feature n = newByName.get(o.name());
      if (renamed.containsKey(o.name())) {
        d.add(new Detail(Action.CHANGE, "feature " + o.name() + " renamed to " + renamed.get(o.name()),
            Verdict.BREAKING, "readers of " + a.name() + ":" + o.name() + " find nothing, and older events have no "
            + renamed.get(o.name())));
      } else if (n == null) {
        d.add(new Detail(Action.REMOVE, "feature " + o.name() + " " + o.type(), Verdict.BREAKING,
            "readers of " + a.name() + ":" + o.name() + " find nothing"));
      } else if (o.type() != n.type()) {
        boolean widen = (o.type() == ValueType.INT32 && n.type() == ValueType.INT64)
            || (o.type() == ValueType.FLOAT32 && n.type() == ValueType.FLOAT64);
        d.add(new Detail(Action.CHANGE, "feature " + o.name() + " " + o.type() + " -> " + n.type(),
            widen ? Verdict.COMPATIBLE : Verdict.BREAKING,
            widen ? "widening; Avro promotes older " + o.type() + " values to " + n.type()
                : (isNarrowing(o.type(), n.type()) ? "narrowing" : "type change")
                    + "; stored " + o.type() + " values cannot be read as " + n.type()));
      } else if (!o.description().equals(n.description())) {
        d.add(new Detail(Action.CHANGE, "feature " + o.name() + " description", Verdict.COMPATIBLE, "metadata only"));
      }
    }
    for (Feature n : b.features()) {
      if (!oldByName.containsKey(n.name()) && !renamed.containsValue(n.name())) {
        d.add(new Detail(Action.ADD, "feature " + n.name() + " " + n.type(), Verdict.COMPATIBLE,
            "new nullable feature; older events read it as null"));
      }
    }
    List<String> oldOrder = a.features().stream().map(Feature::name).filter(newByName::containsKey).toList();
    List<String> newOrder = b.features().stream().map(Feature::name).filter(oldByName::containsKey).toList();
    if (!oldOrder.equals(newOrder)) {
      d.add(new Detail(Action.CHANGE, "feature order " + oldOrder + " -> " + newOrder, Verdict.COMPATIBLE,
          "Avro matches fields by name"));
    }
  }

  private static boolean isNarrowing(ValueType from, ValueType to) {
    return (from == ValueType.INT64 && to == ValueType.INT32) || (from == ValueType.FLOAT64 && to == ValueType.FLOAT32);
  }

  private static List<Detail> serviceChanged(FeatureService a, FeatureService b) {
    List<Detail> d = new ArrayList<>();
    Set<FeatureRef> oldRefs = new LinkedHashSet<>(a.features());
    Set<FeatureRef> newRefs = new LinkedHashSet<>(b.features());
    for (FeatureRef r : a.features()) {
      if (!newRefs.contains(r)) {
        d.add(new Detail(Action.REMOVE, "feature " + r, Verdict.BREAKING, "models using " + a.name() + " lose it"));
      }
    }
    for (FeatureRef r : b.features()) {
      if (!oldRefs.contains(r)) {
        d.add(new Detail(Action.ADD, "feature " + r, Verdict.COMPATIBLE, "models using " + a.name() + " get it too"));
      }
    }
    if (oldRefs.equals(newRefs) && !a.features().equals(b.features())) {
      d.add(new Detail(Action.CHANGE, "feature order", Verdict.COMPATIBLE, "features are returned in the new order"));
    }
    text(d, "owner", a.owner(), b.owner());
    if (!a.tags().equals(b.tags())) {
      d.add(new Detail(Action.CHANGE, "tags " + a.tags() + " -> " + b.tags(), Verdict.COMPATIBLE, "metadata only"));
    }
    text(d, "description", a.description(), b.description());
    return d;
  }

  private static void text(List<Detail> d, String field, String a, String b) {
    text(d, field, a, b, "metadata only");
  }

  private static void text(List<Detail> d, String field, String a, String b, String reason) {
    if (!Objects.equals(a, b)) {
      d.add(new Detail(Action.CHANGE, field + " " + quote(a) + " -> " + quote(b), Verdict.COMPATIBLE, reason));
    }
  }

  private static String quote(String s) {
    return s == null || s.isEmpty() ? "(none)" : "\"" + s + "\"";
  }

  private static String keys(List<JoinKey> keys) {
    return keys.stream().map(k -> k.name() + " " + k.type()).collect(Collectors.joining(", ", "[", "]"));
  }

  private static String features(List<Feature> features) {
    return features.stream().map(f -> f.name() + " " + f.type()).collect(Collectors.joining(", ", "[", "]"));
  }

  private static String refs(FeatureService s) {
    return s.features().stream().map(FeatureRef::toString).collect(Collectors.joining(", ", "[", "]"));
  }
}
