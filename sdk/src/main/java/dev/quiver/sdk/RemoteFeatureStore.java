package dev.quiver.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quiver.online.FeatureStatus;
import dev.quiver.online.FeatureValue;
import dev.quiver.online.PushTarget;
import dev.quiver.registry.QuiverException;
import dev.quiver.registry.UserInputException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The lookup API of {@link FeatureStore} over HTTP, against a Quiver (or Feast) feature server:
 * {@code POST /get-online-features}, and {@code POST /push}. A 4xx answer becomes a
 * {@link UserInputException} carrying the server's detail (naming the field); anything else a
 * {@link QuiverException}. Thread-safe.
 */
public final class RemoteFeatureStore implements OnlineFeatureLookup, AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final HttpClient client;
  private final Duration timeout;

  private RemoteFeatureStore(URI base, Duration timeout) {
    String s = base.toString();
    this.base = URI.create(s.endsWith("/") ? s : s + "/");
    this.timeout = timeout;
    this.client = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
  }

  /** A client of the server at {@code baseUrl}, e.g. {@code http://127.0.0.1:6566}; 10 s timeouts. */
  public static RemoteFeatureStore connect(String baseUrl) {
    return connect(baseUrl, Duration.ofSeconds(10));
  }

  public static RemoteFeatureStore connect(String baseUrl, Duration timeout) {
    URI uri;
    try {
      uri = URI.create(baseUrl);
    } catch (IllegalArgumentException e) {
      throw new UserInputException("Cannot connect to feature server: bad URL \"" + baseUrl + "\"");
    }
    if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
      throw new UserInputException("Cannot connect to feature server: URL \"" + baseUrl + "\" is not http(s)");
    }
    return new RemoteFeatureStore(uri, timeout);
  }

  public URI baseUri() {
    return base;
  }

  @Override
  public OnlineResult getOnlineFeatures(List<String> featureRefs, Map<String, ? extends List<?>> entities) {
    ObjectNode req = JSON.createObjectNode();
    ArrayNode features = req.putArray("features");
    featureRefs.forEach(features::add);
    return lookup(req, entities, false);
  }

  @Override
  public OnlineResult getOnlineFeatures(String featureService, Map<String, ? extends List<?>> entities) {
    ObjectNode req = JSON.createObjectNode();
    req.put("feature_service", featureService);
    return lookup(req, entities, false);
  }

  /** Sends the time as the request's {@code "now"}: the server judges the ttl at it. */
  @Override
  public OnlineResult getOnlineFeatures(List<String> featureRefs, Map<String, ? extends List<?>> entities,
                                       Instant now, boolean fullFeatureNames) {
    ObjectNode req = JSON.createObjectNode();
    ArrayNode features = req.putArray("features");
    featureRefs.forEach(features::add);
    req.put("now", now.toString());
    return lookup(req, entities, fullFeatureNames);
  }

  /** Through {@code POST /sample-entities}. */
  @Override
  public List<List<Object>> sampleEntities(String view, int max, long seed) {
    ObjectNode req = JSON.createObjectNode();
    req.put("feature_view", view);
    req.put("count", max);
    req.put("seed", seed);
    JsonNode entities = post("sample-entities", req).path("entities");
    if (!entities.isObject()) {
      throw new QuiverException("Cannot read answer of " + base + "sample-entities: no entities object");
    }
    List<List<Object>> columns = new ArrayList<>();
    entities.forEach(col -> {
      List<Object> values = new ArrayList<>();
      col.forEach(v -> values.add(toJava(v)));
      columns.add(values);
    });
    int n = columns.isEmpty() ? 0 : columns.get(0).size();
    List<List<Object>> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      List<Object> key = new ArrayList<>(columns.size());
      for (List<Object> col : columns) {
        key.add(col.get(i));
      }
      out.add(key);
    }
    return out;
  }

  private OnlineResult lookup(ObjectNode req, Map<String, ? extends List<?>> entities, boolean fullNames) {
    req.set("entities", JSON.valueToTree(entities));
    req.put("full_feature_names", fullNames);
    JsonNode res = post("get-online-features", req);
    JsonNode names = res.path("metadata").path("feature_names");
    JsonNode results = res.path("results");
    int keys = entities.size();
    if (!names.isArray() || !results.isArray() || names.size() != results.size() || names.size() < keys) {
      throw new QuiverException("Cannot read answer of " + base + "get-online-features: not Feast's shape");
    }
    int n = entities.isEmpty() ? 0 : entities.values().iterator().next().size();
    List<String> featureNames = new ArrayList<>();
    Map<String, List<Object>> keyColumns = new LinkedHashMap<>();
    for (int c = 0; c < keys; c++) {
      List<Object> col = new ArrayList<>(n);
      results.get(c).path("values").forEach(v -> col.add(toJava(v)));
      keyColumns.put(names.get(c).asText(), col);
    }
    int f = names.size() - keys;
    FeatureValue[] values = new FeatureValue[n * f];
    for (int j = 0; j < f; j++) {
      JsonNode r = results.get(keys + j);
      featureNames.add(names.get(keys + j).asText());
      for (int i = 0; i < n; i++) {
        FeatureStatus status = FeatureStatus.valueOf(r.path("statuses").path(i).asText("NOT_FOUND"));
        String ts = r.path("event_timestamps").path(i).asText(null);
        Instant t = status == FeatureStatus.NOT_FOUND || ts == null ? null : Instant.parse(ts);
        values[i * f + j] = new FeatureValue(toJava(r.path("values").path(i)), status, t);
      }
    }
    return new OnlineResult(keyColumns, featureNames, values, n);
  }

  /**
   * Pushes rows (row-major maps) to a feature view through {@code POST /push}.
   *
   * @throws UserInputException with the server's detail, naming the column and row
   */
  public int push(String view, List<? extends Map<String, ?>> rows, PushTarget to) {
    Map<String, List<Object>> df = new LinkedHashMap<>();
    for (Map<String, ?> row : rows) {
      row.keySet().forEach(k -> df.computeIfAbsent(k, x -> new ArrayList<>()));
    }
    for (Map<String, ?> row : rows) {
      df.forEach((k, col) -> {
        Object v = row.get(k);
        col.add(v instanceof Instant t ? t.toString() : v);
      });
    }
    ObjectNode req = JSON.createObjectNode();
    req.put("feature_view", view);
    req.set("df", JSON.valueToTree(df));
    req.put("to", to.wireName());
    return post("push", req).path("rows").asInt(rows.size());
  }

  private JsonNode post(String path, JsonNode body) {
    URI uri = base.resolve(path);
    HttpResponse<byte[]> res;
    try {
      res = client.send(HttpRequest.newBuilder(uri).timeout(timeout)
          .header("content-type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build(),
          HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new QuiverException("Cannot reach feature server at " + base + ": "
          + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QuiverException("Cannot reach feature server at " + base + ": interrupted", e);
    }
    JsonNode json;
    try {
      json = JSON.readTree(res.body());
    } catch (IOException e) {
      json = null;
    }
    if (res.statusCode() >= 400) {
      String detail = json != null && json.hasNonNull("detail") ? json.get("detail").asText()
          : "HTTP " + res.statusCode();
      if (res.statusCode() < 500) {
        throw new UserInputException(detail);
      }
      throw new QuiverException("Cannot " + path + " at " + base + ": " + detail);
    }
    if (json == null) {
      throw new QuiverException("Cannot read answer of " + uri + ": not JSON");
    }
    return json;
  }

  private static Object toJava(JsonNode v) {
    if (v == null || v.isNull() || v.isMissingNode()) {
      return null;
    }
    if (v.isIntegralNumber()) {
      return v.canConvertToLong() ? (Object) v.longValue() : v.bigIntegerValue();
    }
    if (v.isNumber()) {
      return v.doubleValue();
    }
    if (v.isBoolean()) {
      return v.booleanValue();
    }
    if (v.isArray()) {
      List<Object> out = new ArrayList<>();
      v.forEach(x -> out.add(toJava(x)));
      return out;
    }
    return v.asText();
  }

  @Override
  public void close() {
    // java.net.http.HttpClient has no close before Java 21
  }
}
