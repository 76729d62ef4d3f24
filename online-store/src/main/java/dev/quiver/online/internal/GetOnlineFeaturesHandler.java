package dev.quiver.online.internal;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.quiver.online.EntityRows;
import dev.quiver.online.FeatureStatus;
import dev.quiver.online.FeatureValue;
import dev.quiver.online.OnlineFeatures;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.ResolvedFeature;
import dev.quiver.registry.UserInputException;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /get-online-features} in Feast's feature-server JSON. Request:
 * {@code {"features": ["view:feature", ...]} or {"feature_service": "name"}}, plus
 * {@code "entities": {"join_key": [v1, v2, ...]}} and optional {@code "full_feature_names"}, and
 * optional {@code "now"} (a Quiver extension; ISO-8601 text): the time the ttl is judged at instead of
 * the server's clock, so a caller (e.g. a consistency check) judges at a time it picked.
 * Response, column-major ({@code results[i]} belongs to {@code metadata.feature_names[i]}), the
 * entity columns first (status PRESENT, event time 1970-01-01T00:00:00Z, as Feast), one entry per
 * entity in request order:
 * <pre>
 * {"metadata": {"feature_names": ["driver_id", "conv_rate"]},
 *  "results": [{"values": [1001], "statuses": ["PRESENT"], "event_timestamps": ["1970-01-01T00:00:00Z"]},
 *              {"values": [0.5], "statuses": ["PRESENT"], "event_timestamps": ["2024-05-01T10:00:00Z"]}]}
 * </pre>
 */
final class GetOnlineFeaturesHandler implements Handler<RoutingContext> {
  static final String EPOCH = "1970-01-01T00:00:00Z";
  private static final String WHAT = "get online features";

  private final Vertx vertx;
  private final OnlineStore store;
  private final Clock clock;
  private final int maxEntities;
  private final ServerMetrics metrics;

  GetOnlineFeaturesHandler(Vertx vertx, OnlineStore store, Clock clock, int maxEntities, ServerMetrics metrics) {
    this.vertx = vertx;
    this.store = store;
    this.clock = clock;
    this.maxEntities = maxEntities;
    this.metrics = metrics;
  }

  @Override
  public void handle(RoutingContext ctx) {
    byte[] bytes = JsonBodyHandler.body(ctx);
    // parsing, the RocksDB lookups and the JSON all run on a worker, never on the event loop
    vertx.executeBlocking(() -> respond(bytes), false)
        .onSuccess(out -> ctx.response().putHeader("content-type", "application/json").end(Buffer.buffer(out)))
        .onFailure(ctx::fail);
  }

  byte[] respond(byte[] body) throws IOException {
    JsonNode root = RequestBodies.object(body, WHAT);
    boolean fullNames = false;
    JsonNode full = root.get("full_feature_names");
    if (full != null && !full.isNull()) {
      if (!full.isBoolean()) {
        throw HttpError.badRequest("Cannot get online features: full_feature_names must be true or false, got "
            + RequestBodies.kind(full));
      }
      fullNames = full.booleanValue();
    }
    RegistrySnapshot registry = store.registry();
    List<ResolvedFeature> features = features(root, registry);
    Map<String, JsonNode> rawEntities = new LinkedHashMap<>();
    EntityRows rows = entities(root, rawEntities);
    OnlineFeatures result = store.get(features, rows, now(root));
    count(result);
    return write(result, rawEntities, fullNames);
  }

  private java.time.Instant now(JsonNode root) {
    JsonNode now = root.get("now");
    if (now == null || now.isNull()) {
      return clock.instant();
    }
    String why = "must be an ISO-8601 time such as 2024-05-01T10:00:00Z, got " + RequestBodies.kind(now);
    if (now.isTextual()) {
      try {
        java.time.Instant t = dev.quiver.registry.Timestamps.parse(now.textValue());
        dev.quiver.registry.Timestamps.toMicros(t);
        return t;
      } catch (IllegalArgumentException | ArithmeticException e) {
        why = "must be an ISO-8601 time such as 2024-05-01T10:00:00Z (within the range microseconds since 1970 "
            + "hold), got \"" + now.textValue() + "\"";
      }
    }
    throw HttpError.badRequest("Cannot get online features: now " + why);
  }

  private List<ResolvedFeature> features(JsonNode root, RegistrySnapshot registry) {
    JsonNode refs = root.get("features");
    JsonNode service = root.get("feature_service");
    boolean hasRefs = refs != null && !refs.isNull();
    boolean hasService = service != null && !service.isNull();
    if (hasRefs == hasService) {
      throw HttpError.badRequest("Cannot get online features: give exactly one of features or feature_service");
    }
    if (hasService) {
      if (!service.isTextual()) {
        throw HttpError.badRequest("Cannot get online features: feature_service must be a string, got "
            + RequestBodies.kind(service));
      }
      try {
        return registry.resolveService(service.textValue());
      } catch (UserInputException e) {
        throw named("feature_service", e);
      }
    }
    if (!refs.isArray() || refs.isEmpty()) {
      throw HttpError.badRequest("Cannot get online features: features must be a non-empty list of \"view:feature\" strings");
    }
    List<ResolvedFeature> out = new ArrayList<>(refs.size());
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < refs.size(); i++) {
      JsonNode r = refs.get(i);
      if (!r.isTextual()) {
        throw HttpError.badRequest("Cannot get online features: features[" + i + "] must be a string \"view:feature\", got "
            + RequestBodies.kind(r));
      }
      try {
        for (ResolvedFeature f : registry.resolveRefs(List.of(r.textValue()))) {
          if (seen.add(f.fullName())) {
            out.add(f);
          }
        }
      } catch (UserInputException e) {
        throw named("features[" + i + "]", e);
      }
    }
    return out;
  }

  private static RuntimeException named(String field, UserInputException e) {
    return new HttpError(ErrorHandler.statusOf(e), ErrorHandler.kindOf(ErrorHandler.statusOf(e)),
        field + ": " + e.getMessage());
  }

  private EntityRows entities(JsonNode root, Map<String, JsonNode> raw) {
    JsonNode entities = root.get("entities");
    if (entities == null || entities.isNull()) {
      throw HttpError.badRequest("Cannot get online features: entities is required, e.g. {\"driver_id\": [1001]}");
    }
    if (!entities.isObject() || entities.isEmpty()) {
      throw HttpError.badRequest("Cannot get online features: entities must be an object of join key to a list of values");
    }
    Map<String, List<Object>> columns = new LinkedHashMap<>();
    var fields = entities.fields();
    while (fields.hasNext()) {
      var e = fields.next();
      String field = "entities." + e.getKey();
      JsonNode values = e.getValue();
      if (!values.isArray()) {
        throw HttpError.badRequest("Cannot get online features: " + field + " must be a list, got "
            + RequestBodies.kind(values));
      }
      if (values.size() > maxEntities) {
        throw HttpError.badRequest("Cannot get online features: " + field + " has " + values.size()
            + " entities, more than the limit of " + maxEntities + " per request");
      }
      List<Object> col = new ArrayList<>(values.size());
      for (int i = 0; i < values.size(); i++) {
        JsonNode v = values.get(i);
        if (v.isArray() || v.isObject()) {
          throw HttpError.badRequest("Cannot get online features: " + field + "[" + i
              + "] must be a number or a string, got " + RequestBodies.kind(v));
        }
        col.add(JsonValues.toJava(v, field + "[" + i + "]"));
      }
      columns.put(e.getKey(), col);
      raw.put(e.getKey(), values);
    }
    return EntityRows.columns(columns);
  }

  private void count(OnlineFeatures r) {
    Set<String> views = new HashSet<>();
    for (ResolvedFeature f : r.features()) {
      if (views.add(f.view().name())) {
        metrics.lookups(f.view().name(), r.entityCount());
      }
    }
    long[] byStatus = new long[FeatureStatus.values().length];
    for (int i = 0; i < r.entityCount(); i++) {
      for (int j = 0; j < r.features().size(); j++) {
        byStatus[r.value(i, j).status().ordinal()]++;
      }
    }
    for (FeatureStatus s : FeatureStatus.values()) {
      metrics.values(s, byStatus[s.ordinal()]);
    }
  }

  private static byte[] write(OnlineFeatures r, Map<String, JsonNode> entities, boolean fullNames) throws IOException {
    int n = r.entityCount();
    ByteArrayOutputStream out = new ByteArrayOutputStream(256 + n * r.features().size() * 48);
    try (JsonGenerator g = RequestBodies.MAPPER.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeObjectFieldStart("metadata");
      g.writeArrayFieldStart("feature_names");
      for (String k : entities.keySet()) {
        g.writeString(k);
      }
      for (ResolvedFeature f : r.features()) {
        g.writeString(fullNames ? f.columnName(true) : f.feature().name());
      }
      g.writeEndArray();
      g.writeEndObject();
      g.writeArrayFieldStart("results");
      for (JsonNode values : entities.values()) {
        g.writeStartObject();
        g.writeFieldName("values");
        RequestBodies.MAPPER.writeTree(g, values);
        g.writeArrayFieldStart("statuses");
        for (int i = 0; i < n; i++) {
          g.writeString("PRESENT");
        }
        g.writeEndArray();
        g.writeArrayFieldStart("event_timestamps");
        for (int i = 0; i < n; i++) {
          g.writeString(EPOCH);
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      for (int j = 0; j < r.features().size(); j++) {
        g.writeStartObject();
        g.writeArrayFieldStart("values");
        for (int i = 0; i < n; i++) {
          JsonValues.write(g, r.value(i, j).value());
        }
        g.writeEndArray();
        g.writeArrayFieldStart("statuses");
        for (int i = 0; i < n; i++) {
          g.writeString(r.value(i, j).status().name());
        }
        g.writeEndArray();
        g.writeArrayFieldStart("event_timestamps");
        for (int i = 0; i < n; i++) {
          FeatureValue v = r.value(i, j);
          g.writeString(v.eventTime() == null ? EPOCH : v.eventTime().toString());
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    return out.toByteArray();
  }
}
