package dev.quiver.sdk;

import dev.quiver.registry.DefinitionProblem;
import dev.quiver.registry.Durations;
import dev.quiver.registry.InvalidDefinitionException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * The settings of a feature repo, read from its optional {@code quiver.yaml} (like Feast's
 * {@code feature_store.yaml}). Every key, its default and its validation live here. Paths are
 * relative to the repo folder. Unknown keys and bad values are errors naming the key and line.
 *
 * <pre>
 * project: driver_demo
 * state_dir: .quiver                      # every default path below lives here
 * registry_path: .quiver/registry.json
 * online_store: {path: .quiver/online}
 * offline_store: {path: .quiver/offline}
 * kafka: {bootstrap_servers: embedded, data_dir: .quiver/kafka, partitions: 3}
 * server: {host: 127.0.0.1, port: 6566}
 * limits: {max_entities: 1000, max_request_bytes: 1048576}
 * materializer: {group_id: quiver-materializer, flush_rows: 50000, flush_age: 10s, max_future_skew: 5s}
 * </pre>
 */
public final class QuiverConfig {
  public static final String FILE_NAME = "quiver.yaml";
  public static final String EMBEDDED = "embedded";
  /** The default of {@code materializer.max_future_skew}: how far past now an event time may lie. */
  public static final Duration DEFAULT_MAX_FUTURE_SKEW = Duration.ofSeconds(5);

  /** Every key with its doc and default, in the file's nesting, dotted. */
  public static final Map<String, String> KEYS = keys();

  private final Path repo;
  private final String project;
  private final Path stateDir;
  private final Path registryPath;
  private final Path onlinePath;
  private final Path offlinePath;
  private final String bootstrapServers;
  private final Path kafkaDataDir;
  private final int partitions;
  private final String serverHost;
  private final int serverPort;
  private final int maxEntities;
  private final int maxRequestBytes;
  private final String groupId;
  private final int flushRows;
  private final Duration flushAge;
  private final Duration maxFutureSkew;

  private QuiverConfig(Path repo, Map<String, Object> v) {
    this.repo = repo;
    this.project = (String) v.get("project");
    this.stateDir = repo.resolve((String) v.get("state_dir")).normalize();
    this.registryPath = resolve(repo, stateDir, v.get("registry_path"), "registry.json");
    this.onlinePath = resolve(repo, stateDir, v.get("online_store.path"), "online");
    this.offlinePath = resolve(repo, stateDir, v.get("offline_store.path"), "offline");
    this.bootstrapServers = (String) v.get("kafka.bootstrap_servers");
    this.kafkaDataDir = resolve(repo, stateDir, v.get("kafka.data_dir"), "kafka");
    this.partitions = (Integer) v.get("kafka.partitions");
    this.serverHost = (String) v.get("server.host");
    this.serverPort = (Integer) v.get("server.port");
    this.maxEntities = (Integer) v.get("limits.max_entities");
    this.maxRequestBytes = (Integer) v.get("limits.max_request_bytes");
    this.groupId = (String) v.get("materializer.group_id");
    this.flushRows = (Integer) v.get("materializer.flush_rows");
    this.flushAge = (Duration) v.get("materializer.flush_age");
    this.maxFutureSkew = (Duration) v.get("materializer.max_future_skew");
  }

  private static Map<String, String> keys() {
    Map<String, String> k = new LinkedHashMap<>();
    k.put("project", "the project's name");
    k.put("state_dir", "where the repo keeps its state; the default of every path below is inside it");
    k.put("registry_path", "the registry file");
    k.put("online_store.path", "the RocksDB folder");
    k.put("offline_store.path", "the Parquet root");
    k.put("kafka.bootstrap_servers", "Kafka's bootstrap servers, or 'embedded' for a broker in-process");
    k.put("kafka.data_dir", "the embedded broker's data folder");
    k.put("kafka.partitions", "partitions of each view topic the store creates");
    k.put("server.host", "the HTTP server's address");
    k.put("server.port", "the HTTP server's port (0 = any free port)");
    k.put("limits.max_entities", "most entities in one lookup request");
    k.put("limits.max_request_bytes", "largest HTTP request body");
    k.put("materializer.group_id", "the materializer's consumer group");
    k.put("materializer.flush_rows", "offline flush after this many buffered rows");
    k.put("materializer.flush_age", "offline flush after buffering this long");
    k.put("materializer.max_future_skew", "how far past now an event time may lie: a push beyond it is refused, "
        + "the materializer dead-letters it (0 = not at all)");
    return java.util.Collections.unmodifiableMap(k);
  }

  private static Map<String, Object> defaults(Path repo) {
    Map<String, Object> d = new LinkedHashMap<>();
    Path name = repo.toAbsolutePath().normalize().getFileName();
    d.put("project", name == null ? "quiver" : name.toString());
    d.put("state_dir", ".quiver");
    d.put("registry_path", null);
    d.put("online_store.path", null);
    d.put("offline_store.path", null);
    d.put("kafka.bootstrap_servers", EMBEDDED);
    d.put("kafka.data_dir", null);
    d.put("kafka.partitions", 3);
    d.put("server.host", "127.0.0.1");
    d.put("server.port", 6566);
    d.put("limits.max_entities", 1000);
    d.put("limits.max_request_bytes", 1 << 20);
    d.put("materializer.group_id", "quiver-materializer");
    d.put("materializer.flush_rows", 50_000);
    d.put("materializer.flush_age", Duration.ofSeconds(10));
    d.put("materializer.max_future_skew", DEFAULT_MAX_FUTURE_SKEW);
    return d;
  }

  /** The defaults for a repo without a {@code quiver.yaml}. */
  public static QuiverConfig defaultsFor(Path repo) {
    return new QuiverConfig(repo, defaults(repo));
  }

  /**
   * Reads {@code <repo>/quiver.yaml}, or the defaults when there is none.
   *
   * @throws InvalidDefinitionException naming file, line and key for an unknown key or bad value
   */
  public static QuiverConfig load(Path repo) {
    Path file = repo.resolve(FILE_NAME);
    Map<String, Object> values = defaults(repo);
    if (!Files.exists(file)) {
      return new QuiverConfig(repo, values);
    }
    List<DefinitionProblem> problems = new ArrayList<>();
    Node root;
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      root = new Yaml(new LoaderOptions()).compose(r);
    } catch (MarkedYAMLException e) {
      throw new InvalidDefinitionException(new DefinitionProblem(FILE_NAME,
          e.getProblemMark() == null ? null : e.getProblemMark().getLine() + 1,
          "YAML does not parse: " + e.getProblem()));
    } catch (IOException e) {
      throw new InvalidDefinitionException(new DefinitionProblem(FILE_NAME, null,
          "Cannot read settings: " + e.getMessage()));
    }
    if (root != null) {
      if (!(root instanceof MappingNode)) {
        throw new InvalidDefinitionException(new DefinitionProblem(FILE_NAME, line(root),
            "expected a mapping of settings"));
      }
      walk((MappingNode) root, "", values, problems);
    }
    if (!problems.isEmpty()) {
      throw new InvalidDefinitionException(problems);
    }
    return new QuiverConfig(repo, values);
  }

  private static void walk(MappingNode node, String prefix, Map<String, Object> values,
                           List<DefinitionProblem> problems) {
    for (NodeTuple t : node.getValue()) {
      String key = prefix + ((ScalarNode) t.getKeyNode()).getValue();
      Node value = t.getValueNode();
      boolean isSection = KEYS.keySet().stream().anyMatch(k -> k.startsWith(key + "."));
      if (isSection) {
        if (value instanceof MappingNode) {
          walk((MappingNode) value, key + ".", values, problems);
        } else {
          problems.add(new DefinitionProblem(FILE_NAME, line(value), "setting " + key + " must be a mapping"));
        }
        continue;
      }
      if (!KEYS.containsKey(key)) {
        problems.add(new DefinitionProblem(FILE_NAME, line(t.getKeyNode()),
            "unknown setting \"" + key + "\" (known: " + String.join(", ", KEYS.keySet()) + ")"));
        continue;
      }
      if (!(value instanceof ScalarNode)) {
        problems.add(new DefinitionProblem(FILE_NAME, line(value), "setting " + key + " must be a single value"));
        continue;
      }
      String text = ((ScalarNode) value).getValue();
      Object def = values.get(key);
      try {
        values.put(key, convert(def, text, key));
      } catch (IllegalArgumentException e) {
        problems.add(new DefinitionProblem(FILE_NAME, line(value),
            "bad value \"" + text + "\" for setting " + key + ": " + e.getMessage()));
      }
    }
  }

  private static Object convert(Object def, String text, String key) {
    if (def instanceof Integer) {
      int n;
      try {
        n = Integer.parseInt(text.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("expected a whole number");
      }
      int min = key.equals("server.port") ? 0 : 1;
      if (n < min || (key.equals("server.port") && n > 65535)) {
        throw new IllegalArgumentException(key.equals("server.port") ? "expected 0 to 65535" : "expected at least 1");
      }
      return n;
    }
    if (def instanceof Duration) {
      Duration d = Durations.parse(text);
      if (key.equals("materializer.max_future_skew")) {
        if (d.isNegative()) {
          throw new IllegalArgumentException("expected a duration of 0 or more");
        }
        return d;
      }
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("expected a positive duration");
      }
      return d;
    }
    if (text.isBlank()) {
      throw new IllegalArgumentException("expected a value");
    }
    return text.trim();
  }

  /** A path setting: relative to the repo when given, else {@code name} in the state folder. */
  private static Path resolve(Path repo, Path stateDir, Object given, String name) {
    return given == null ? stateDir.resolve(name) : repo.resolve((String) given).normalize();
  }

  private static Integer line(Node n) {
    return n.getStartMark() == null ? null : n.getStartMark().getLine() + 1;
  }

  public Path repo() {
    return repo;
  }

  public String project() {
    return project;
  }

  public Path stateDir() {
    return stateDir;
  }

  public Path registryPath() {
    return registryPath;
  }

  public Path onlinePath() {
    return onlinePath;
  }

  public Path offlinePath() {
    return offlinePath;
  }

  /** Kafka's bootstrap servers, or {@link #EMBEDDED}. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  public boolean embeddedKafka() {
    return EMBEDDED.equals(bootstrapServers);
  }

  public Path kafkaDataDir() {
    return kafkaDataDir;
  }

  public int partitions() {
    return partitions;
  }

  public String serverHost() {
    return serverHost;
  }

  public int serverPort() {
    return serverPort;
  }

  public int maxEntities() {
    return maxEntities;
  }

  public int maxRequestBytes() {
    return maxRequestBytes;
  }

  public String groupId() {
    return groupId;
  }

  public int flushRows() {
    return flushRows;
  }

  public Duration flushAge() {
    return flushAge;
  }

  /** How far past now an event time may lie ({@code materializer.max_future_skew}); a push beyond it is refused. */
  public Duration maxFutureSkew() {
    return maxFutureSkew;
  }

  /** A copy with the server port changed (e.g. 0 for tests). */
  public QuiverConfig withServerPort(int port) {
    Map<String, Object> v = asMap();
    v.put("server.port", port);
    return new QuiverConfig(repo, v);
  }

  /** A copy with other Kafka bootstrap servers. */
  public QuiverConfig withBootstrapServers(String servers) {
    Map<String, Object> v = asMap();
    v.put("kafka.bootstrap_servers", servers);
    return new QuiverConfig(repo, v);
  }

  private Map<String, Object> asMap() {
    Function<Path, String> rel = p -> p.toString();
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("project", project);
    v.put("state_dir", rel.apply(stateDir));
    v.put("registry_path", rel.apply(registryPath));
    v.put("online_store.path", rel.apply(onlinePath));
    v.put("offline_store.path", rel.apply(offlinePath));
    v.put("kafka.bootstrap_servers", bootstrapServers);
    v.put("kafka.data_dir", rel.apply(kafkaDataDir));
    v.put("kafka.partitions", partitions);
    v.put("server.host", serverHost);
    v.put("server.port", serverPort);
    v.put("limits.max_entities", maxEntities);
    v.put("limits.max_request_bytes", maxRequestBytes);
    v.put("materializer.group_id", groupId);
    v.put("materializer.flush_rows", flushRows);
    v.put("materializer.flush_age", flushAge);
    v.put("materializer.max_future_skew", maxFutureSkew);
    return v;
  }
}
