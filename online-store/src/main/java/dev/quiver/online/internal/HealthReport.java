package dev.quiver.online.internal;

import dev.quiver.online.ComponentHealth;
import dev.quiver.online.OnlineStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The answer of {@code GET /health}: {@code {"status": "ok" | "degraded" | "down", "components":
 * {"<name>": {"status": "up" | "degraded" | "down", "detail": ..., <info>...}}}}, 200 unless the
 * store is closed or a part is down (503, with {@code error} and {@code detail} naming the part).
 */
final class HealthReport {
  private final OnlineStore store;
  private final Map<String, Supplier<ComponentHealth>> parts;

  HealthReport(OnlineStore store, Map<String, Supplier<ComponentHealth>> parts) {
    this.store = store;
    this.parts = Map.copyOf(parts);
  }

  record Answer(int status, JsonObject body) {}

  Answer answer() {
    if (store.isClosed()) {
      return new Answer(503, new JsonObject().put("error", "unavailable").put("status", "down")
          .put("detail", "Cannot serve: the online store is closed"));
    }
    JsonObject components = new JsonObject();
    ComponentHealth.Status worst = ComponentHealth.Status.UP;
    String why = null;
    for (Map.Entry<String, Supplier<ComponentHealth>> e : new java.util.TreeMap<>(parts).entrySet()) {
      ComponentHealth h;
      try {
        h = e.getValue().get();
      } catch (RuntimeException ex) {
        h = new ComponentHealth(ComponentHealth.Status.DOWN, "Cannot check " + e.getKey() + ": " + ex.getMessage(), Map.of());
      }
      JsonObject c = new JsonObject().put("status", h.status().name().toLowerCase(java.util.Locale.ROOT));
      if (h.detail() != null) {
        c.put("detail", h.detail());
      }
      h.info().forEach((k, v) -> c.put(k, json(v)));
      components.put(e.getKey(), c);
      if (h.status().compareTo(worst) > 0) {
        worst = h.status();
        why = e.getKey() + ": " + (h.detail() == null ? h.status().name().toLowerCase(java.util.Locale.ROOT) : h.detail());
      }
    }
    JsonObject body = new JsonObject();
    if (worst == ComponentHealth.Status.DOWN) {
      body.put("error", "unavailable").put("detail", why);
    }
    body.put("status", switch (worst) {
      case UP -> "ok";
      case DEGRADED -> "degraded";
      case DOWN -> "down";
    });
    if (!components.isEmpty()) {
      body.put("components", components);
    }
    return new Answer(worst == ComponentHealth.Status.DOWN ? 503 : 200, body);
  }

  private static Object json(Object v) {
    if (v instanceof Map<?, ?> m) {
      JsonObject o = new JsonObject();
      m.forEach((k, x) -> o.put(String.valueOf(k), json(x)));
      return o;
    }
    if (v instanceof Collection<?> c) {
      JsonArray a = new JsonArray();
      c.forEach(x -> a.add(json(x)));
      return a;
    }
    if (v == null || v instanceof Number || v instanceof Boolean || v instanceof String) {
      return v;
    }
    return v.toString();
  }
}
