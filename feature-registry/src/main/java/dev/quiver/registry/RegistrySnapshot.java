package dev.quiver.registry;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * One committed version of the registry: the definitions, every schema version of every view
 * (including views since removed, so old data stays readable), and the history of commits.
 * Immutable; readers hold one snapshot and swap to a newer one atomically.
 *
 * <p>{@link #version()} counts commits: 0 is the empty registry, each apply adds one. A store
 * commits a new snapshot only if its parent ({@code version() - 1}) is still the latest
 * (compare-and-swap), see {@link RegistryStore}.
 */
public final class RegistrySnapshot {
  private final long version;
  private final Definitions definitions;
  private final Map<String, List<FeatureViewVersion>> viewVersions;
  private final List<HistoryEntry> history;
  private final Map<Long, FeatureViewVersion> byFingerprint = new HashMap<>();

  public RegistrySnapshot(long version, Definitions definitions,
                          Map<String, List<FeatureViewVersion>> viewVersions, List<HistoryEntry> history) {
    this.version = version;
    this.definitions = definitions;
    Map<String, List<FeatureViewVersion>> vv = new TreeMap<>();
    viewVersions.forEach((k, v) -> vv.put(k, List.copyOf(v)));
    this.viewVersions = Collections.unmodifiableMap(vv);
    this.history = List.copyOf(history);
    for (List<FeatureViewVersion> list : this.viewVersions.values()) {
      for (FeatureViewVersion v : list) {
        byFingerprint.put(v.fingerprint(), v);
      }
    }
  }

  public static RegistrySnapshot empty() {
    return new RegistrySnapshot(0, Definitions.EMPTY, Map.of(), List.of());
  }

  /** Builds a snapshot from definitions in one step (version 1), validating them. */
  public static RegistrySnapshot of(Definitions definitions) {
    return empty().withDefinitions(definitions, Instant.EPOCH, "initial");
  }

  public long version() {
    return version;
  }

  public Definitions definitions() {
    return definitions;
  }

  /** Every schema version of every view ever applied, by view name, oldest first. */
  public Map<String, List<FeatureViewVersion>> viewVersions() {
    return viewVersions;
  }

  public List<HistoryEntry> history() {
    return history;
  }

  /** The content hash of the definitions (hex SHA-256 of their canonical form). */
  public String hash() {
    return hash(definitions);
  }

  /** @throws NoSuchFeatureViewException naming the view */
  public FeatureView view(String name) {
    FeatureView v = definitions.views().get(name);
    if (v == null) {
      throw new NoSuchFeatureViewException("Cannot find feature view: " + name);
    }
    return v;
  }

  /** @throws NoSuchFeatureServiceException naming the service */
  public FeatureService service(String name) {
    FeatureService s = definitions.services().get(name);
    if (s == null) {
      throw new NoSuchFeatureServiceException("Cannot find feature service: " + name);
    }
    return s;
  }

  /** @throws NoSuchEntityException naming the entity */
  public Entity entity(String name) {
    Entity e = definitions.entities().get(name);
    if (e == null) {
      throw new NoSuchEntityException("Cannot find entity: " + name);
    }
    return e;
  }

  /** The source of a view. */
  public Source source(String view) {
    FeatureView v = view(view);
    Source s = definitions.sources().get(v.source());
    if (s == null) {
      throw new NoSuchFeatureViewException("Cannot find source of feature view " + view + ": " + v.source());
    }
    return s;
  }

  /** The join keys of a view: its entities' keys, in entity order then key order. */
  public List<JoinKey> joinKeys(String view) {
    return joinKeys(definitions, view(view));
  }

  /** All schema versions of a view, oldest first. */
  public List<FeatureViewVersion> versions(String view) {
    List<FeatureViewVersion> list = viewVersions.get(view);
    if (list == null || list.isEmpty()) {
      throw new NoSuchFeatureViewException("Cannot find feature view: " + view);
    }
    return list;
  }

  /** The newest schema version of a view. */
  public FeatureViewVersion currentVersion(String view) {
    List<FeatureViewVersion> list = versions(view);
    return list.get(list.size() - 1);
  }

  /** @throws NoSuchFeatureViewException naming view and version when there is no such version */
  public FeatureViewVersion version(String view, int number) {
    for (FeatureViewVersion v : versions(view)) {
      if (v.version() == number) {
        return v;
      }
    }
    throw new NoSuchFeatureViewException("Cannot find feature view version: " + view + "@v" + number);
  }

  /** The view version whose event schema has this CRC-64-AVRO fingerprint. */
  public Optional<FeatureViewVersion> byFingerprint(long fingerprint) {
    return Optional.ofNullable(byFingerprint.get(fingerprint));
  }

  /** Resolves {@code view:feature} strings (or {@code view@vN:feature}). */
  public List<ResolvedFeature> resolveRefs(List<String> refs) {
    List<FeatureRef> parsed = new ArrayList<>();
    for (String r : refs) {
      parsed.add(FeatureRef.parse(r, false));
    }
    return resolve(parsed);
  }

  /**
   * Resolves references; a whole-view reference expands to all its features in order.
   *
   * <p>A reference pinned to a version ({@code view@vN:feature}, or {@code view@vN} for all its
   * features) is refused when a later version of the view gives the feature another type (a
   * widening from INT32 to INT64, say): values stored under that later version cannot be read as
   * the pinned type, online or offline, so neither store is asked to. A pinned feature whose type
   * never changed after the pin resolves as usual. This is the one place both stores take the rule
   * from.
   *
   * @throws NoSuchFeatureViewException naming the view (or the pinned version) when there is none
   * @throws NoSuchFeatureException naming the feature when the version has no such feature
   * @throws UserInputException naming the pinned reference, the later version and type, and the
   *     reference to ask for instead, when the feature's type changed after the pinned version
   */
  public List<ResolvedFeature> resolve(List<FeatureRef> refs) {
    List<ResolvedFeature> out = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (FeatureRef ref : refs) {
      FeatureView view = view(ref.view());
      FeatureViewVersion ver = ref.version() == null ? currentVersion(ref.view()) : version(ref.view(), ref.version());
      if (ref.isWholeView()) {
        for (Feature f : ver.features()) {
          if (ref.version() != null) {
            checkPinnedType(ver, f);
          }
          if (seen.add(ref.view() + ":" + f.name())) {
            out.add(new ResolvedFeature(view, ver, f));
          }
        }
      } else {
        Feature f = ver.feature(ref.feature()).orElseThrow(() -> new NoSuchFeatureException(
            "Cannot find feature: " + ref + " (view " + ref.view() + " has "
                + ver.features().stream().map(Feature::name).toList() + ")"));
        if (ref.version() != null) {
          checkPinnedType(ver, f);
        }
        if (seen.add(ref.view() + ":" + f.name())) {
          out.add(new ResolvedFeature(view, ver, f));
        }
      }
    }
    return out;
  }

  /** See {@link #resolve}: a pinned feature must keep its type in every later version. */
  private void checkPinnedType(FeatureViewVersion pinned, Feature f) {
    FeatureViewVersion changed = null;
    Feature changedTo = null;
    FeatureViewVersion latest = null;
    Feature latestFeature = null;
    for (FeatureViewVersion v : versions(pinned.view())) {
      if (v.version() <= pinned.version()) {
        continue;
      }
      Feature later = v.feature(f.name()).orElse(null);
      if (later == null) {
        continue;
      }
      latest = v;
      latestFeature = later;
      if (changed == null && later.type() != f.type()) {
        changed = v;
        changedTo = later;
      }
    }
    if (changed == null) {
      return;
    }
    String view = pinned.view();
    String ask = latest.version() == currentVersion(view).version()
        ? view + ":" + f.name() + " (the current version v" + latest.version() + ", " + latestFeature.type() + ")"
        : view + "@v" + latest.version() + ":" + f.name() + " (" + latestFeature.type() + ")";
    throw new UserInputException("Cannot resolve feature " + view + "@v" + pinned.version() + ":" + f.name()
        + ": it is " + f.type() + " in v" + pinned.version() + " but " + changedTo.type() + " in v"
        + changed.version() + ", and values stored since v" + changed.version() + " cannot be read as v"
        + pinned.version() + "; ask for " + ask);
  }

  /** Resolves the features of a feature service. */
  public List<ResolvedFeature> resolveService(String name) {
    return resolve(service(name).features());
  }

  /**
   * The next snapshot: these definitions, version + 1, and a new schema version for every view
   * whose join keys or features changed (or that is new). Validates the definitions first.
   *
   * @throws InvalidDefinitionException listing every problem
   */
  public RegistrySnapshot withDefinitions(Definitions next, Instant appliedAt, String summary) {
    DefinitionValidator.validate(next);
    Map<String, List<FeatureViewVersion>> vv = new TreeMap<>();
    viewVersions.forEach((k, v) -> vv.put(k, new ArrayList<>(v)));
    for (FeatureView view : next.views().values()) {
      List<JoinKey> keys = joinKeys(next, view);
      List<FeatureViewVersion> list = vv.computeIfAbsent(view.name(), k -> new ArrayList<>());
      FeatureViewVersion last = list.isEmpty() ? null : list.get(list.size() - 1);
      if (last == null || !last.sameSchema(keys, view.features())) {
        int n = last == null ? 1 : last.version() + 1;
        list.add(new FeatureViewVersion(view.name(), n, keys, view.features(), appliedAt));
      }
    }
    List<HistoryEntry> h = new ArrayList<>(history);
    h.add(new HistoryEntry(version + 1, appliedAt, hash(next), summary));
    return new RegistrySnapshot(version + 1, next, new HashMap<>(vv), h);
  }

  static List<JoinKey> joinKeys(Definitions defs, FeatureView view) {
    List<JoinKey> keys = new ArrayList<>();
    for (String e : view.entities()) {
      Entity entity = defs.entities().get(e);
      if (entity == null) {
        throw new NoSuchEntityException("Cannot find entity of feature view " + view.name() + ": " + e);
      }
      keys.addAll(entity.joinKeys());
    }
    return keys;
  }

  /** Hex SHA-256 of the canonical form of some definitions (locations excluded). */
  public static String hash(Definitions d) {
    StringBuilder sb = new StringBuilder();
    d.entities().values().forEach(e -> sb.append("E|").append(e.name()).append('|').append(e.joinKeys())
        .append('|').append(e.description()).append('\n'));
    d.sources().values().forEach(s -> sb.append("S|").append(s.withLocation(SourceLocation.NONE)).append('\n'));
    d.views().values().forEach(v -> sb.append("V|").append(v.toBuilder().withLocation(SourceLocation.NONE).build()).append('\n'));
    d.services().values().forEach(s -> sb.append("F|").append(s.name()).append('|').append(s.features())
        .append('|').append(s.owner()).append('|').append(new TreeMap<>(s.tags())).append('|')
        .append(s.description()).append('\n'));
    return sha256(sb.toString());
  }

  /** Hex SHA-256 of one view's definition (locations excluded). */
  public static String hash(FeatureView v) {
    return sha256(v.toBuilder().withLocation(SourceLocation.NONE).build().toString());
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "RegistrySnapshot{version=" + version + ", views=" + definitions.views().keySet() + "}";
  }
}
