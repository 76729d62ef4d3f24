package dev.quiver.online.internal;

import dev.quiver.online.FeatureStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The server's meters, exposed in Prometheus text: {@code quiver_http_requests_seconds} (a timer
 * with a histogram, per endpoint and status), {@code quiver_online_lookups_total} (entities looked
 * up per feature view) and {@code quiver_online_values_total} (values per status).
 */
final class ServerMetrics {
  private final PrometheusMeterRegistry registry;
  private final boolean own;
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();
  private final Map<String, Counter> lookups = new ConcurrentHashMap<>();
  private final Map<FeatureStatus, Counter> statuses = new EnumMap<>(FeatureStatus.class);

  ServerMetrics() {
    this(null);
  }

  /** Meters in {@code shared} (not closed here), or in a registry of its own when null. */
  ServerMetrics(PrometheusMeterRegistry shared) {
    this.own = shared == null;
    this.registry = own ? new PrometheusMeterRegistry(PrometheusConfig.DEFAULT) : shared;
    for (FeatureStatus s : FeatureStatus.values()) {
      statuses.put(s, Counter.builder("quiver_online_values").description("Looked-up feature values by status")
          .tag("status", s.name()).register(registry));
    }
  }

  void request(String endpoint, int status, long nanos) {
    timers.computeIfAbsent(endpoint + " " + status, k -> Timer.builder("quiver_http_requests")
        .description("HTTP requests by endpoint and status")
        .tags("endpoint", endpoint, "status", Integer.toString(status))
        .publishPercentileHistogram()
        .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
  }

  void lookups(String view, int entities) {
    lookups.computeIfAbsent(view, v -> Counter.builder("quiver_online_lookups")
        .description("Entities looked up per feature view").tag("view", v).register(registry)).increment(entities);
  }

  void values(FeatureStatus status, long count) {
    if (count > 0) {
      statuses.get(status).increment(count);
    }
  }

  String scrape() {
    return registry.scrape();
  }

  void close() {
    if (own) {
      registry.close();
    }
  }
}
