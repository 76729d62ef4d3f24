package dev.quiver.registry;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * A feature repo: a folder holding an optional {@code quiver.yaml} (settings) and any number of
 * other {@code *.yaml} / {@code *.yml} files with definitions (see DESIGN.md "The feature repo").
 * Files are read in name order; sub-folders and hidden files are not read.
 *
 * <p>Loading reports every problem at once in one {@link InvalidDefinitionException}, each naming
 * the file (relative to the repo), the 1-based line and the value: YAML that does not parse,
 * unknown or missing fields, unknown types, unparsable ttls, duplicate names (across files too),
 * and everything {@link DefinitionValidator} checks.
 */
public final class FeatureRepo {
  /** The settings file; never read for definitions. */
  public static final String SETTINGS_FILE = "quiver.yaml";
  /** The default state folder inside the repo. */
  public static final String STATE_DIR = ".quiver";
  /** The registry file inside the state folder. */
  public static final String REGISTRY_FILE = "registry.json";

  private final Path root;
  private final Map<String, Object> settings;
  private final Definitions definitions;

  private FeatureRepo(Path root, Map<String, Object> settings, Definitions definitions) {
    this.root = root;
    this.settings = settings;
    this.definitions = definitions;
  }

  /**
   * Reads and validates every definition file of the repo at {@code dir}.
   *
   * @throws InvalidDefinitionException listing every problem found
   * @throws UserInputException when {@code dir} is not a readable folder
   */
  public static Definitions load(Path dir) {
    return open(dir).definitions();
  }

  /** Like {@link #load(Path)}, also reading the settings in {@code quiver.yaml}. */
  public static FeatureRepo open(Path dir) {
    Path root = dir.toAbsolutePath().normalize();
    if (!Files.isDirectory(root)) {
      throw new UserInputException("Cannot load feature repo " + dir + ": not a folder");
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(root)) {
      files = s.filter(Files::isRegularFile)
          .filter(p -> {
            String n = p.getFileName().toString();
            return (n.endsWith(".yaml") || n.endsWith(".yml")) && !n.startsWith(".")
                && !n.equals(SETTINGS_FILE) && !n.equals("quiver.yml");
          })
          .sorted()
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new UserInputException("Cannot load feature repo " + dir + ": " + e.getMessage(), e);
    }
    RepoReader reader = new RepoReader();
    for (Path f : files) {
      reader.readFile(root.relativize(f).toString(), f);
    }
    Map<String, Object> settings = readSettings(root, reader);
    Definitions defs = reader.definitions();
    List<DefinitionProblem> problems = new ArrayList<>(reader.problems);
    for (DefinitionProblem p : DefinitionValidator.problems(defs, reader.where)) {
      // A file that does not parse defines nothing, so references to its definitions would be
      // reported as unknown too: noise that goes away once the YAML is fixed.
      if (!reader.unparsedFiles || !p.message().contains(" references unknown ")) {
        problems.add(p);
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidDefinitionException(problems);
    }
    return new FeatureRepo(root, settings, defs);
  }

  /** The repo folder (absolute). */
  public Path root() {
    return root;
  }

  /** The validated definitions of the repo. */
  public Definitions definitions() {
    return definitions;
  }

  /** The settings of {@code quiver.yaml} as plain YAML values; empty when there is no such file. */
  public Map<String, Object> settings() {
    return settings;
  }

  /** Where the repo keeps its state: {@code state_dir} of quiver.yaml (relative to the repo), else {@code .quiver}. */
  public Path stateDir() {
    Object s = settings.get("state_dir");
    return s == null ? root.resolve(STATE_DIR) : root.resolve(s.toString()).normalize();
  }

  /** The local registry file: {@code registry_path} of quiver.yaml, else {@code <state dir>/registry.json}. */
  public Path registryFile() {
    Object s = settings.get("registry_path");
    return s == null ? stateDir().resolve(REGISTRY_FILE) : root.resolve(s.toString()).normalize();
  }

  /** The registry file of a repo folder whose definitions need not be valid (e.g. for {@code describe}). */
  public static Path registryFile(Path dir) {
    Path root = dir.toAbsolutePath().normalize();
    if (!Files.isDirectory(root)) {
      throw new UserInputException("Cannot open feature repo " + dir + ": not a folder");
    }
    RepoReader reader = new RepoReader();
    Map<String, Object> settings = readSettings(root, reader);
    if (!reader.problems.isEmpty()) {
      throw new InvalidDefinitionException(reader.problems);
    }
    return new FeatureRepo(root, settings, Definitions.EMPTY).registryFile();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> readSettings(Path root, RepoReader reader) {
    Path f = root.resolve(SETTINGS_FILE);
    if (!Files.isRegularFile(f)) {
      return Map.of();
    }
    try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
      Object o = new Yaml(new LoaderOptions()).load(r);
      if (o == null) {
        return Map.of();
      }
      if (!(o instanceof Map)) {
        reader.problems.add(new DefinitionProblem(SETTINGS_FILE, 1, "expected a mapping of settings"));
        return Map.of();
      }
      return Collections.unmodifiableMap(new LinkedHashMap<>((Map<String, Object>) o));
    } catch (MarkedYAMLException e) {
      reader.problems.add(yamlProblem(SETTINGS_FILE, e));
    } catch (YAMLException | IOException e) {
      reader.problems.add(new DefinitionProblem(SETTINGS_FILE, null, "Cannot read settings: " + e.getMessage()));
    }
    return Map.of();
  }

  static DefinitionProblem yamlProblem(String file, MarkedYAMLException e) {
    Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
    Integer line = m == null ? null : m.getLine() + 1;
    String what = e.getProblem() != null ? e.getProblem() : e.getMessage();
    String col = m == null ? "" : " at column " + (m.getColumn() + 1);
    Mark cm = e.getContextMark();
    String ctx = e.getContext() == null ? "" : " (" + e.getContext()
        + (cm != null && m != null && cm.getLine() != m.getLine() ? " started at line " + (cm.getLine() + 1) : "") + ")";
    return new DefinitionProblem(file, line, "Cannot parse YAML: " + what + col + ctx);
  }

  /** Reads definition files one by one, collecting definitions, locations and problems. */
  private static final class RepoReader {
    private static final Set<String> SECTIONS = Set.of("entities", "sources", "feature_views", "feature_services");
    private static final Set<String> ENTITY_FIELDS = Set.of("name", "join_keys", "description");
    private static final Set<String> KEY_FIELDS = Set.of("name", "type", "description");
    private static final Set<String> SOURCE_FIELDS = Set.of("name", "kafka", "parquet", "timestamp_field",
        "created_timestamp_field", "description");
    private static final Set<String> VIEW_FIELDS = Set.of("name", "entities", "source", "ttl", "online", "offline",
        "owner", "tags", "description", "features");
    private static final Set<String> SERVICE_FIELDS = Set.of("name", "features", "owner", "tags", "description");

    final List<DefinitionProblem> problems = new ArrayList<>();
    boolean unparsedFiles;
    /** Fine-grained locations for the validator, keyed as {@link DefinitionValidator} documents. */
    final Map<String, SourceLocation> where = new HashMap<>();
    private final Map<String, Entity> entities = new LinkedHashMap<>();
    private final Map<String, Source> sources = new LinkedHashMap<>();
    private final Map<String, FeatureView> views = new LinkedHashMap<>();
    private final Map<String, FeatureService> services = new LinkedHashMap<>();
    private String file;

    Definitions definitions() {
      return new Definitions(entities, sources, views, services);
    }

    void readFile(String relative, Path path) {
      this.file = relative;
      Node root;
      try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
        root = new Yaml(new LoaderOptions()).compose(r);
      } catch (MarkedYAMLException e) {
        problems.add(yamlProblem(relative, e));
        unparsedFiles = true;
        return;
      } catch (YAMLException e) {
        problems.add(new DefinitionProblem(relative, null, "Cannot parse YAML: " + e.getMessage()));
        unparsedFiles = true;
        return;
      } catch (IOException e) {
        problems.add(new DefinitionProblem(relative, null, "Cannot read file: " + e.getMessage()));
        unparsedFiles = true;
        return;
      }
      if (root == null) {
        return; // an empty file defines nothing
      }
      Map<String, NodeTuple> sections = mapping(root, "the top level of a definition file", SECTIONS);
      if (sections == null) {
        return;
      }
      for (Node n : list(sections, "entities")) {
        readEntity(n);
      }
      for (Node n : list(sections, "sources")) {
        readSource(n);
      }
      for (Node n : list(sections, "feature_views")) {
        readView(n);
      }
      for (Node n : list(sections, "feature_services")) {
        readService(n);
      }
    }

    private void readEntity(Node n) {
      Map<String, NodeTuple> m = mapping(n, "an entity", ENTITY_FIELDS);
      String name = m == null ? null : requiredName(m, n, "entity");
      if (name == null) {
        return;
      }
      SourceLocation at = at(n);
      if (duplicate("entity", name, entities.get(name) == null ? null : entities.get(name).location(), at)) {
        return;
      }
      Entity.Builder b = Entity.builder(name).withLocation(at).withDescription(string(m, "description", ""));
      List<Node> keys = list(m, "join_keys"); // none at all is reported by the validator
      int i = 0;
      for (Node k : keys) {
        Map<String, NodeTuple> km = mapping(k, "a join key of entity " + name, KEY_FIELDS);
        if (km == null) {
          continue;
        }
        String keyName = requiredName(km, k, "join key of entity " + name);
        if (keyName == null) {
          continue;
        }
        ValueType type = type(km, k, "join key " + keyName + " of entity " + name);
        where.put("entity/" + name + "/key/" + i++, at(k));
        b.withJoinKey(keyName, type == null ? ValueType.INT64 : type);
      }
      entities.put(name, b.build());
    }

    private void readSource(Node n) {
      Map<String, NodeTuple> m = mapping(n, "a source", SOURCE_FIELDS);
      String name = m == null ? null : requiredName(m, n, "source");
      if (name == null) {
        return;
      }
      SourceLocation at = at(n);
      if (duplicate("source", name, sources.get(name) == null ? null : sources.get(name).location(), at)) {
        return;
      }
      boolean kafka = m.containsKey("kafka");
      boolean parquet = m.containsKey("parquet");
      String tsField = string(m, "timestamp_field", Source.DEFAULT_TIMESTAMP_FIELD);
      String createdField = string(m, "created_timestamp_field", null);
      String description = string(m, "description", "");
      if (kafka == parquet) {
        problems.add(problem(n, "source " + name + " needs exactly one of kafka: {topic: ...} or parquet: {path: ...}"));
        return;
      }
      if (kafka) {
        Node k = m.get("kafka").getValueNode();
        String topic = null;
        if (!isNull(k)) {
          Map<String, NodeTuple> km = mapping(k, "the kafka settings of source " + name, Set.of("topic"));
          topic = km == null ? null : string(km, "topic", null);
        }
        sources.put(name, new Source(name, Source.Kind.KAFKA, topic, null, tsField, createdField, description, at));
      } else {
        Node p = m.get("parquet").getValueNode();
        Map<String, NodeTuple> pm = mapping(p, "the parquet settings of source " + name, Set.of("path"));
        String path = pm == null ? null : string(pm, "path", null);
        if (pm != null && path == null) {
          problems.add(problem(p, "parquet source " + name + " has no path"));
        }
        sources.put(name, new Source(name, Source.Kind.PARQUET, null, path, tsField, createdField, description, at));
      }
    }

    private void readView(Node n) {
      Map<String, NodeTuple> m = mapping(n, "a feature view", VIEW_FIELDS);
      String name = m == null ? null : requiredName(m, n, "feature view");
      if (name == null) {
        return;
      }
      SourceLocation at = at(n);
      if (duplicate("feature view", name, views.get(name) == null ? null : views.get(name).location(), at)) {
        return;
      }
      FeatureView.Builder b = FeatureView.builder(name).withLocation(at);
      String what = "feature view " + name;
      int i = 0;
      for (Node e : list(m, "entities")) {
        String entity = scalar(e, "an entity name of " + what);
        if (entity != null) {
          where.put("view/" + name + "/entity/" + i++, at(e));
          b.withEntity(entity);
        }
      }
      if (i == 0) {
        problems.add(problem(m.containsKey("entities") ? m.get("entities").getValueNode() : n,
            what + " has no entities (expected e.g. entities: [driver])"));
      }
      if (m.containsKey("source")) {
        Node s = m.get("source").getValueNode();
        where.put("view/" + name + "/source", at(s));
        b.withSource(scalar(s, "the source of " + what));
      } else {
        problems.add(problem(n, what + " has no source"));
      }
      if (m.containsKey("ttl")) {
        Node t = m.get("ttl").getValueNode();
        where.put("view/" + name + "/ttl", at(t));
        String text = scalar(t, "the ttl of " + what);
        if (text != null) {
          try {
            b.withTtl(Durations.parse(text));
          } catch (IllegalArgumentException | ArithmeticException ex) {
            problems.add(problem(t, "Cannot parse ttl of " + what + ": \"" + text
                + "\" (expected e.g. 30s, 15m, 2h, 7d, PT2H or 0)"));
          }
        }
      }
      b.withOnline(bool(m, "online", true)).withOffline(bool(m, "offline", true))
          .withOwner(string(m, "owner", "")).withTags(tags(m, what))
          .withDescription(string(m, "description", ""));
      int f = 0;
      List<Node> featureNodes = list(m, "features");
      if (featureNodes.isEmpty()) {
        problems.add(problem(m.containsKey("features") ? m.get("features").getValueNode() : n, what + " has no features"));
      }
      for (Node fn : featureNodes) {
        Map<String, NodeTuple> fm = mapping(fn, "a feature of " + what, KEY_FIELDS);
        if (fm == null) {
          continue;
        }
        String feature = requiredName(fm, fn, "feature of " + what);
        if (feature == null) {
          continue;
        }
        ValueType type = type(fm, fn, "feature " + feature + " of " + what);
        where.put("view/" + name + "/feature/" + f++, at(fn));
        b.withFeature(new Feature(feature, type == null ? ValueType.STRING : type, string(fm, "description", "")));
      }
      views.put(name, b.build());
    }

    private void readService(Node n) {
      Map<String, NodeTuple> m = mapping(n, "a feature service", SERVICE_FIELDS);
      String name = m == null ? null : requiredName(m, n, "feature service");
      if (name == null) {
        return;
      }
      SourceLocation at = at(n);
      if (duplicate("feature service", name, services.get(name) == null ? null : services.get(name).location(), at)) {
        return;
      }
      List<FeatureRef> refs = new ArrayList<>();
      int i = 0;
      for (Node r : list(m, "features")) {
        String text = scalar(r, "a feature reference of feature service " + name);
        if (text == null) {
          continue;
        }
        try {
          refs.add(FeatureRef.parse(text, true));
          where.put("service/" + name + "/ref/" + i++, at(r));
        } catch (UserInputException e) {
          problems.add(problem(r, e.getMessage() + " in feature service " + name));
        }
      }
      if (!m.containsKey("features")) {
        problems.add(problem(n, "feature service " + name + " has no features"));
      }
      services.put(name, new FeatureService(name, refs, string(m, "owner", ""), tags(m, "feature service " + name),
          string(m, "description", ""), at));
    }

    // ---- node helpers ----

    private boolean duplicate(String kind, String name, SourceLocation first, SourceLocation here) {
      if (first == null) {
        return false;
      }
      problems.add(new DefinitionProblem(here.file(), here.line(),
          "duplicate " + kind + " name \"" + name + "\" (first defined at " + first + ")"));
      return true;
    }

    private ValueType type(Map<String, NodeTuple> m, Node owner, String what) {
      if (!m.containsKey("type")) {
        problems.add(problem(owner, what + " has no type"));
        return null;
      }
      Node t = m.get("type").getValueNode();
      String text = scalar(t, "the type of " + what);
      if (text == null) {
        return null;
      }
      return ValueType.parse(text).orElseGet(() -> {
        problems.add(problem(t, "unknown type \"" + text + "\" of " + what + " (expected one of "
            + Stream.of(ValueType.values()).map(ValueType::typeName).collect(Collectors.joining(", ")) + ")"));
        return null;
      });
    }

    private String requiredName(Map<String, NodeTuple> m, Node owner, String kind) {
      if (!m.containsKey("name")) {
        problems.add(problem(owner, kind + " has no name"));
        return null;
      }
      Node v = m.get("name").getValueNode();
      return scalar(v, "the name of a " + kind);
    }

    /** The entries of a mapping node by key; reports unknown and duplicate keys; null if not a mapping. */
    private Map<String, NodeTuple> mapping(Node n, String what, Set<String> allowed) {
      if (!(n instanceof MappingNode)) {
        problems.add(problem(n, "expected " + what + " as a mapping (key: value) but found " + describe(n)));
        return null;
      }
      Map<String, NodeTuple> out = new LinkedHashMap<>();
      for (NodeTuple t : ((MappingNode) n).getValue()) {
        if (!(t.getKeyNode() instanceof ScalarNode)) {
          problems.add(problem(t.getKeyNode(), "expected a plain key in " + what));
          continue;
        }
        String key = ((ScalarNode) t.getKeyNode()).getValue();
        if (!allowed.contains(key)) {
          problems.add(problem(t.getKeyNode(), "unknown field \"" + key + "\" in " + what + " (expected one of "
              + allowed.stream().sorted().collect(Collectors.joining(", ")) + ")"));
          continue;
        }
        if (out.containsKey(key)) {
          problems.add(problem(t.getKeyNode(), "duplicate field \"" + key + "\" in " + what));
          continue;
        }
        out.put(key, t);
      }
      return out;
    }

    private List<Node> list(Map<String, NodeTuple> m, String key) {
      NodeTuple t = m.get(key);
      if (t == null || isNull(t.getValueNode())) {
        return List.of();
      }
      Node v = t.getValueNode();
      if (!(v instanceof SequenceNode)) {
        problems.add(problem(v, "expected a list for \"" + key + "\" but found " + describe(v)));
        return List.of();
      }
      return ((SequenceNode) v).getValue();
    }

    private String scalar(Node n, String what) {
      if (n instanceof ScalarNode && !isNull(n)) {
        return ((ScalarNode) n).getValue();
      }
      problems.add(problem(n, "expected " + what + " as a single value but found " + describe(n)));
      return null;
    }

    private String string(Map<String, NodeTuple> m, String key, String dflt) {
      NodeTuple t = m.get(key);
      if (t == null || isNull(t.getValueNode())) {
        return dflt;
      }
      String s = scalar(t.getValueNode(), "\"" + key + "\"");
      return s == null ? dflt : s;
    }

    private boolean bool(Map<String, NodeTuple> m, String key, boolean dflt) {
      String s = string(m, key, null);
      if (s == null) {
        return dflt;
      }
      if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) {
        return Boolean.parseBoolean(s);
      }
      problems.add(problem(m.get(key).getValueNode(), "expected true or false for \"" + key + "\" but found \"" + s + "\""));
      return dflt;
    }

    private Map<String, String> tags(Map<String, NodeTuple> m, String what) {
      NodeTuple t = m.get("tags");
      if (t == null || isNull(t.getValueNode())) {
        return Map.of();
      }
      Map<String, String> out = new LinkedHashMap<>();
      if (!(t.getValueNode() instanceof MappingNode)) {
        problems.add(problem(t.getValueNode(), "expected the tags of " + what + " as a mapping but found "
            + describe(t.getValueNode())));
        return out;
      }
      for (NodeTuple e : ((MappingNode) t.getValueNode()).getValue()) {
        String k = scalar(e.getKeyNode(), "a tag name of " + what);
        String v = scalar(e.getValueNode(), "the value of tag " + k + " of " + what);
        if (k != null && v != null) {
          out.put(k, v);
        }
      }
      return out;
    }

    private static boolean isNull(Node n) {
      return n instanceof ScalarNode && "tag:yaml.org,2002:null".equals(n.getTag().getValue());
    }

    private static String describe(Node n) {
      if (n instanceof MappingNode) {
        return "a mapping";
      }
      if (n instanceof SequenceNode) {
        return "a list";
      }
      if (isNull(n)) {
        return "nothing";
      }
      return "\"" + ((ScalarNode) n).getValue() + "\"";
    }

    private SourceLocation at(Node n) {
      return new SourceLocation(file, n.getStartMark().getLine() + 1);
    }

    private DefinitionProblem problem(Node n, String message) {
      return new DefinitionProblem(file, n.getStartMark().getLine() + 1, message);
    }
  }
}
