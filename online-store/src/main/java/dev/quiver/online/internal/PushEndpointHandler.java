package dev.quiver.online.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quiver.online.PushHandler;
import dev.quiver.online.PushRequest;
import dev.quiver.online.PushTarget;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /push} in Feast's JSON: {@code {"push_source_name": "s"} or {"feature_view": "v"}},
 * {@code "df": {"column": [values...], ...}} and optional {@code "to"} ({@code online} (default),
 * {@code offline}, {@code online_and_offline}). Validates the shape and hands the rows to the
 * {@link PushHandler}; without one, answers 501.
 */
final class PushEndpointHandler implements Handler<RoutingContext> {
  private static final String WHAT = "push";

  private final Vertx vertx;
  private final PushHandler handler;

  PushEndpointHandler(Vertx vertx, PushHandler handler) {
    this.vertx = vertx;
    this.handler = handler;
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (handler == null) {
      ctx.fail(new HttpError(501, "not_implemented",
          "Cannot push: this server has no push handler (start it with one, e.g. through the SDK)"));
      return;
    }
    byte[] bytes = JsonBodyHandler.body(ctx);
    vertx.executeBlocking(() -> {
      PushRequest request = parse(bytes);
      handler.push(request);
      return "{\"status\":\"ok\",\"rows\":" + request.rowCount() + "}";
    }, false)
        .onSuccess(out -> ctx.response().putHeader("content-type", "application/json").end(out))
        .onFailure(ctx::fail);
  }

  static PushRequest parse(byte[] body) {
    JsonNode root = RequestBodies.object(body, WHAT);
    String source = text(root, "push_source_name");
    String view = text(root, "feature_view");
    if ((source == null) == (view == null)) {
      throw HttpError.badRequest("Cannot push: give exactly one of push_source_name or feature_view");
    }
    PushTarget to = PushTarget.ONLINE;
    String toText = text(root, "to");
    if (toText != null) {
      to = null;
      for (PushTarget t : PushTarget.values()) {
        if (t.wireName().equals(toText)) {
          to = t;
        }
      }
      if (to == null) {
        throw HttpError.badRequest("Cannot push: to must be online, offline or online_and_offline, got \"" + toText + "\"");
      }
    }
    JsonNode df = root.get("df");
    if (df == null || !df.isObject() || df.isEmpty()) {
      throw HttpError.badRequest("Cannot push: df must be a non-empty object of column name to a list of values");
    }
    Map<String, List<Object>> columns = new LinkedHashMap<>();
    int rows = -1;
    String first = null;
    var fields = df.fields();
    while (fields.hasNext()) {
      var e = fields.next();
      String field = "df." + e.getKey();
      if (!e.getValue().isArray()) {
        throw HttpError.badRequest("Cannot push: " + field + " must be a list, got " + RequestBodies.kind(e.getValue()));
      }
      if (rows < 0) {
        rows = e.getValue().size();
        first = field;
      } else if (e.getValue().size() != rows) {
        throw HttpError.badRequest("Cannot push: " + field + " has " + e.getValue().size() + " values but "
            + first + " has " + rows);
      }
      List<Object> col = new ArrayList<>(rows);
      for (int i = 0; i < e.getValue().size(); i++) {
        col.add(JsonValues.toJava(e.getValue().get(i), field + "[" + i + "]"));
      }
      columns.put(e.getKey(), col);
    }
    return new PushRequest(source, view, columns, rows, to);
  }

  private static String text(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw HttpError.badRequest("Cannot push: " + field + " must be a string, got " + RequestBodies.kind(n));
    }
    return n.textValue();
  }
}
