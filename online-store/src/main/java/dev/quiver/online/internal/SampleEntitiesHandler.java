package dev.quiver.online.internal;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.JoinKey;
import dev.quiver.registry.UserInputException;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * {@code POST /sample-entities} (a Quiver extension, used by consistency checks): up to
 * {@code count} entities that hold a value of a view, drawn reproducibly for {@code seed}
 * ({@link OnlineStore#sampleEntities}). Request {@code {"feature_view": "v", "count": 100, "seed": 7}}
 * ({@code seed} optional, default 0; {@code count} at most the server's entity limit); response
 * column-major as lookups take them: {@code {"feature_view": "v", "entities": {"driver_id": [1001, 1002]}}}.
 */
final class SampleEntitiesHandler implements Handler<RoutingContext> {
  private static final String WHAT = "sample entities";

  private final Vertx vertx;
  private final OnlineStore store;
  private final int maxEntities;

  SampleEntitiesHandler(Vertx vertx, OnlineStore store, int maxEntities) {
    this.vertx = vertx;
    this.store = store;
    this.maxEntities = maxEntities;
  }

  @Override
  public void handle(RoutingContext ctx) {
    byte[] bytes = JsonBodyHandler.body(ctx);
    vertx.executeBlocking(() -> respond(bytes), false)
        .onSuccess(out -> ctx.response().putHeader("content-type", "application/json").end(Buffer.buffer(out)))
        .onFailure(ctx::fail);
  }

  byte[] respond(byte[] body) throws IOException {
    JsonNode root = RequestBodies.object(body, WHAT);
    JsonNode view = root.get("feature_view");
    if (view == null || !view.isTextual()) {
      throw HttpError.badRequest("Cannot sample entities: feature_view must be a view name, got "
          + (view == null ? "nothing" : RequestBodies.kind(view)));
    }
    JsonNode count = root.get("count");
    if (count == null || !count.canConvertToInt() || !count.isIntegralNumber() || count.intValue() < 1
        || count.intValue() > maxEntities) {
      throw HttpError.badRequest("Cannot sample entities: count must be a whole number from 1 to " + maxEntities
          + ", got " + (count == null ? "nothing" : count.toString()));
    }
    JsonNode seed = root.get("seed");
    if (seed != null && !seed.isNull() && !(seed.isIntegralNumber() && seed.canConvertToLong())) {
      throw HttpError.badRequest("Cannot sample entities: seed must be a whole number, got " + seed);
    }
    List<JoinKey> joinKeys;
    List<List<Object>> sample;
    try {
      joinKeys = store.registry().currentVersion(view.textValue()).joinKeys();
      sample = store.sampleEntities(view.textValue(), count.intValue(),
          seed == null || seed.isNull() ? 0 : seed.longValue());
    } catch (UserInputException e) {
      throw new HttpError(ErrorHandler.statusOf(e), ErrorHandler.kindOf(ErrorHandler.statusOf(e)),
          "feature_view: " + e.getMessage());
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + sample.size() * 16);
    try (JsonGenerator g = RequestBodies.MAPPER.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeStringField("feature_view", view.textValue());
      g.writeObjectFieldStart("entities");
      for (int k = 0; k < joinKeys.size(); k++) {
        g.writeArrayFieldStart(joinKeys.get(k).name());
        for (List<Object> key : sample) {
          JsonValues.write(g, key.get(k));
        }
        g.writeEndArray();
      }
      g.writeEndObject();
      g.writeEndObject();
    }
    return out.toByteArray();
  }
}
