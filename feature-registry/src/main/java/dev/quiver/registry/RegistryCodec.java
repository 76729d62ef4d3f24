package dev.quiver.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Encodes a {@link RegistrySnapshot} to bytes and back: the one persisted registry format, used by
 * the local file store and by any other store (a Kafka topic) that keeps snapshots as bytes.
 *
 * <p>Layout (format version 1): one ASCII header line, then the body.
 * <pre>
 * QUIVER-REGISTRY 1 length=&lt;body bytes, decimal&gt; sha256=&lt;64 lower-case hex of the body&gt;\n
 * &lt;body: UTF-8 JSON, exactly length bytes&gt;
 * </pre>
 * The body is a JSON object with {@code registry_version}, {@code definitions} ({@code entities},
 * {@code sources}, {@code feature_views}, {@code feature_services}, arrays sorted by name),
 * {@code view_versions} (per view, every schema version with its join keys, features, applied
 * time and hex CRC-64-AVRO {@code fingerprint}) and {@code history}. Types are written by their
 * YAML names ({@code INT64}, {@code LIST<FLOAT32>}), durations as ISO-8601, instants as ISO-8601 UTC.
 * Encoding is deterministic: the same snapshot gives the same bytes.
 *
 * <p>Decoding rejects, with a {@link CorruptRegistryException} naming the source: a wrong magic, an
 * unknown format version, a body shorter or longer than its length (truncation), a checksum
 * mismatch, JSON that is not this shape, and a stored fingerprint that no longer matches its schema.
 */
public final class RegistryCodec {
  public static final String MAGIC = "QUIVER-REGISTRY";
  public static final int FORMAT_VERSION = 1;
  private static final int MAX_HEADER = 256;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DefaultPrettyPrinter PRETTY = new DefaultPrettyPrinter()
      .withObjectIndenter(new DefaultIndenter("  ", "\n"))
      .withArrayIndenter(new DefaultIndenter("  ", "\n"));

  private RegistryCodec() {}

  /** The bytes of a snapshot in the current format version. */
  public static byte[] encode(RegistrySnapshot snapshot) {
    byte[] body;
    try {
      body = (JSON.writer(PRETTY).writeValueAsString(toJson(snapshot)) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot encode registry snapshot: " + e.getMessage(), e);
    }
    byte[] header = (MAGIC + " " + FORMAT_VERSION + " length=" + body.length + " sha256=" + sha256(body) + "\n")
        .getBytes(StandardCharsets.US_ASCII);
    byte[] out = Arrays.copyOf(header, header.length + body.length);
    System.arraycopy(body, 0, out, header.length, body.length);
    return out;
  }

  /**
   * Reads a snapshot back.
   *
   * @param source names where the bytes came from (a file, a topic) in error messages
   * @throws CorruptRegistryException "Cannot read registry &lt;source&gt;: &lt;reason&gt;"
   */
  public static RegistrySnapshot decode(byte[] bytes, String source) {
    int nl = -1;
    for (int i = 0; i < Math.min(bytes.length, MAX_HEADER); i++) {
      if (bytes[i] == '\n') {
        nl = i;
        break;
      }
    }
    if (bytes.length == 0) {
      throw corrupt(source, "the file is empty (truncated write?)");
    }
    if (nl < 0) {
      boolean magic = new String(bytes, 0, Math.min(bytes.length, MAGIC.length()), StandardCharsets.US_ASCII)
          .equals(MAGIC);
      throw corrupt(source, magic ? "the header line is truncated" : "not a Quiver registry (no " + MAGIC + " header)");
    }
    String[] header = new String(bytes, 0, nl, StandardCharsets.US_ASCII).split(" ");
    if (!header[0].equals(MAGIC)) {
      throw corrupt(source, "not a Quiver registry (no " + MAGIC + " header)");
    }
    if (header.length != 4 || !header[2].startsWith("length=") || !header[3].startsWith("sha256=")) {
      throw corrupt(source, "malformed header \"" + new String(bytes, 0, nl, StandardCharsets.US_ASCII) + "\"");
    }
    int format;
    long length;
    try {
      format = Integer.parseInt(header[1]);
      length = Long.parseLong(header[2].substring("length=".length()));
    } catch (NumberFormatException e) {
      throw corrupt(source, "malformed header \"" + new String(bytes, 0, nl, StandardCharsets.US_ASCII) + "\"");
    }
    if (format != FORMAT_VERSION) {
      throw corrupt(source, "unsupported format version " + format + " (this Quiver reads version "
          + FORMAT_VERSION + ")");
    }
    long actual = bytes.length - nl - 1L;
    if (actual < length) {
      throw corrupt(source, "truncated: the header promises " + length + " bytes but only " + actual + " follow");
    }
    if (actual > length) {
      throw corrupt(source, "the header promises " + length + " bytes but " + actual + " follow");
    }
    byte[] body = Arrays.copyOfRange(bytes, nl + 1, bytes.length);
    String expected = header[3].substring("sha256=".length());
    if (!sha256(body).equals(expected)) {
      throw corrupt(source, "checksum mismatch (the content was altered or damaged)");
    }
    try {
      return fromJson(JSON.readTree(body));
    } catch (java.io.IOException | RuntimeException e) {
      if (e instanceof CorruptRegistryException) {
        throw (CorruptRegistryException) e;
      }
      throw new CorruptRegistryException("Cannot read registry " + source + ": malformed content ("
          + e.getMessage() + ")", e);
    }
  }

  /** {@link #decode(byte[], String)} naming the source "registry". */
  public static RegistrySnapshot decode(byte[] bytes) {
    return decode(bytes, "registry");
  }

  private static CorruptRegistryException corrupt(String source, String reason) {
    return new CorruptRegistryException("Cannot read registry " + source + ": " + reason);
  }

  // ---- to JSON ----

  private static ObjectNode toJson(RegistrySnapshot s) {
    ObjectNode root = JSON.createObjectNode();
    root.put("registry_version", s.version());
    ObjectNode defs = root.putObject("definitions");
    Definitions d = s.definitions();
    ArrayNode entities = defs.putArray("entities");
    for (Entity e : d.entities().values()) {
      ObjectNode n = entities.addObject();
      n.put("name", e.name());
      n.set("join_keys", joinKeys(e.joinKeys()));
      n.put("description", e.description());
      location(n, e.location());
    }
    ArrayNode sources = defs.putArray("sources");
    for (Source src : d.sources().values()) {
      ObjectNode n = sources.addObject();
      n.put("name", src.name());
      n.put("kind", src.kind().name());
      n.put("topic", src.topic());
      n.put("path", src.path());
      n.put("timestamp_field", src.timestampField());
      n.put("created_timestamp_field", src.createdTimestampField());
      n.put("description", src.description());
      location(n, src.location());
    }
    ArrayNode views = defs.putArray("feature_views");
    for (FeatureView v : d.views().values()) {
      ObjectNode n = views.addObject();
      n.put("name", v.name());
      ArrayNode es = n.putArray("entities");
      v.entities().forEach(es::add);
      n.put("source", v.source());
      n.put("ttl", v.ttl().toString());
      n.put("online", v.online());
      n.put("offline", v.offline());
      n.put("owner", v.owner());
      ObjectNode tags = n.putObject("tags");
      v.tags().forEach(tags::put); // insertion order is part of the definition's hash
      n.put("description", v.description());
      n.set("features", features(v.features()));
      location(n, v.location());
    }
    ArrayNode services = defs.putArray("feature_services");
    for (FeatureService fs : d.services().values()) {
      ObjectNode n = services.addObject();
      n.put("name", fs.name());
      ArrayNode refs = n.putArray("features");
      fs.features().forEach(r -> refs.add(r.toString()));
      n.put("owner", fs.owner());
      ObjectNode tags = n.putObject("tags");
      new TreeMap<>(fs.tags()).forEach(tags::put);
      n.put("description", fs.description());
      location(n, fs.location());
    }
    ObjectNode vv = root.putObject("view_versions");
    s.viewVersions().forEach((view, list) -> {
      ArrayNode a = vv.putArray(view);
      for (FeatureViewVersion v : list) {
        ObjectNode n = a.addObject();
        n.put("version", v.version());
        n.set("join_keys", joinKeys(v.joinKeys()));
        n.set("features", features(v.features()));
        n.put("applied_at", v.appliedAt() == null ? null : v.appliedAt().toString());
        n.put("fingerprint", fingerprintHex(v.fingerprint()));
      }
    });
    ArrayNode history = root.putArray("history");
    for (HistoryEntry h : s.history()) {
      ObjectNode n = history.addObject();
      n.put("registry_version", h.registryVersion());
      n.put("applied_at", h.appliedAt() == null ? null : h.appliedAt().toString());
      n.put("hash", h.hash());
      n.put("summary", h.summary());
    }
    return root;
  }

  /** A fingerprint as 16 lower-case hex digits, as the registry file and the CLI print it. */
  public static String fingerprintHex(long fingerprint) {
    return HexFormat.of().toHexDigits(fingerprint);
  }

  private static ArrayNode joinKeys(List<JoinKey> keys) {
    ArrayNode a = JSON.createArrayNode();
    for (JoinKey k : keys) {
      a.addObject().put("name", k.name()).put("type", k.type().typeName());
    }
    return a;
  }

  private static ArrayNode features(List<Feature> features) {
    ArrayNode a = JSON.createArrayNode();
    for (Feature f : features) {
      a.addObject().put("name", f.name()).put("type", f.type().typeName()).put("description", f.description());
    }
    return a;
  }

  private static void location(ObjectNode n, SourceLocation at) {
    if (at.file() != null) {
      ObjectNode l = n.putObject("location");
      l.put("file", at.file());
      if (at.line() != null) {
        l.put("line", at.line());
      }
    }
  }

  // ---- from JSON ----

  private static RegistrySnapshot fromJson(JsonNode root) {
    long version = req(root, "registry_version").asLong();
    JsonNode defs = req(root, "definitions");
    Definitions.Builder b = Definitions.builder();
    for (JsonNode n : array(defs, "entities")) {
      Entity.Builder e = Entity.builder(text(n, "name")).withDescription(text(n, "description"))
          .withLocation(location(n));
      for (JoinKey k : joinKeys(array(n, "join_keys"))) {
        e.withJoinKey(k.name(), k.type());
      }
      b.withEntity(e.build());
    }
    for (JsonNode n : array(defs, "sources")) {
      Source.Kind kind;
      try {
        kind = Source.Kind.valueOf(text(n, "kind"));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("unknown source kind \"" + text(n, "kind") + "\"");
      }
      b.withSource(new Source(text(n, "name"), kind, text(n, "topic"), text(n, "path"), text(n, "timestamp_field"),
          text(n, "created_timestamp_field"), text(n, "description"), location(n)));
    }
    for (JsonNode n : array(defs, "feature_views")) {
      FeatureView.Builder v = FeatureView.builder(text(n, "name"));
      array(n, "entities").forEach(e -> v.withEntity(e.asText()));
      features(array(n, "features")).forEach(v::withFeature);
      Map<String, String> tags = new LinkedHashMap<>();
      req(n, "tags").fields().forEachRemaining(t -> tags.put(t.getKey(), t.getValue().asText()));
      b.withView(v.withSource(text(n, "source")).withTtl(duration(text(n, "ttl")))
          .withOnline(req(n, "online").asBoolean()).withOffline(req(n, "offline").asBoolean())
          .withOwner(text(n, "owner")).withTags(tags).withDescription(text(n, "description"))
          .withLocation(location(n)).build());
    }
    for (JsonNode n : array(defs, "feature_services")) {
      List<FeatureRef> refs = new ArrayList<>();
      array(n, "features").forEach(r -> refs.add(FeatureRef.parse(r.asText(), true)));
      Map<String, String> tags = new TreeMap<>();
      req(n, "tags").fields().forEachRemaining(t -> tags.put(t.getKey(), t.getValue().asText()));
      b.withService(new FeatureService(text(n, "name"), refs, text(n, "owner"), tags, text(n, "description"),
          location(n)));
    }
    Map<String, List<FeatureViewVersion>> vv = new TreeMap<>();
    req(root, "view_versions").fields().forEachRemaining(e -> {
      List<FeatureViewVersion> list = new ArrayList<>();
      for (JsonNode n : e.getValue()) {
        String at = text(n, "applied_at");
        FeatureViewVersion v = new FeatureViewVersion(e.getKey(), req(n, "version").asInt(),
            joinKeys(array(n, "join_keys")), features(array(n, "features")), at == null ? null : instant(at));
        String stored = text(n, "fingerprint");
        if (!fingerprintHex(v.fingerprint()).equals(stored)) {
          throw new IllegalArgumentException("fingerprint of " + e.getKey() + "@v" + v.version() + " is "
              + fingerprintHex(v.fingerprint()) + " but the registry recorded " + stored);
        }
        list.add(v);
      }
      vv.put(e.getKey(), list);
    });
    List<HistoryEntry> history = new ArrayList<>();
    for (JsonNode n : array(root, "history")) {
      String at = text(n, "applied_at");
      history.add(new HistoryEntry(req(n, "registry_version").asLong(), at == null ? null : instant(at),
          text(n, "hash"), text(n, "summary")));
    }
    return new RegistrySnapshot(version, b.build(), vv, history);
  }

  private static List<JoinKey> joinKeys(JsonNode a) {
    List<JoinKey> out = new ArrayList<>();
    for (JsonNode k : a) {
      out.add(new JoinKey(text(k, "name"), type(text(k, "type"))));
    }
    return out;
  }

  private static List<Feature> features(JsonNode a) {
    List<Feature> out = new ArrayList<>();
    for (JsonNode f : a) {
      out.add(new Feature(text(f, "name"), type(text(f, "type")), text(f, "description")));
    }
    return out;
  }

  private static ValueType type(String name) {
    return ValueType.parse(name).orElseThrow(() -> new IllegalArgumentException("unknown type \"" + name + "\""));
  }

  private static Duration duration(String s) {
    try {
      return Duration.parse(s);
    } catch (DateTimeParseException | NullPointerException e) {
      throw new IllegalArgumentException("bad ttl \"" + s + "\"");
    }
  }

  private static Instant instant(String s) {
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("bad time \"" + s + "\"");
    }
  }

  private static SourceLocation location(JsonNode n) {
    JsonNode l = n.get("location");
    if (l == null || l.isNull()) {
      return SourceLocation.NONE;
    }
    JsonNode line = l.get("line");
    return new SourceLocation(text(l, "file"), line == null || line.isNull() ? null : line.asInt());
  }

  private static JsonNode req(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException("missing field \"" + field + "\"");
    }
    return v;
  }

  private static JsonNode array(JsonNode n, String field) {
    JsonNode v = req(n, field);
    if (!v.isArray()) {
      throw new IllegalArgumentException("field \"" + field + "\" is not an array");
    }
    return v;
  }

  /** A text field; null when absent or JSON null. */
  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
