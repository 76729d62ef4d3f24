package dev.quiver.online;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The health of one part of a server (e.g. the materializer feeding the online store), as
 * {@code GET /health} reports it: a status, a sentence saying why when it is not {@code UP}, and
 * details (numbers, strings, lists or maps of them) shown as they are.
 *
 * @param status {@code UP}; {@code DEGRADED} (working, but something is retried or behind: 200);
 *     {@code DOWN} (stopped or failed: {@code /health} answers 503)
 * @param detail why, or null when up
 * @param info details in JSON-friendly values, in order
 */
public record ComponentHealth(Status status, String detail, Map<String, Object> info) {
  /** The status of a part. */
  public enum Status { UP, DEGRADED, DOWN }

  public ComponentHealth {
    Objects.requireNonNull(status, "status");
    info = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(info == null ? Map.of() : info));
  }
}
