package dev.quiver.online;

import java.util.List;
import java.util.Map;

/**
 * A validated {@code POST /push} body: rows for one push source or feature view, column-major.
 *
 * @param pushSourceName the push source named by the request, or null
 * @param featureView the feature view named by the request, or null (exactly one of the two is set)
 * @param columns column name to values, all of the same length, in request order; values are
 *     JSON-decoded Java values (Long, Double, String, Boolean, List, or null), not yet typed
 * @param rowCount the number of rows
 * @param to where the rows go
 */
public record PushRequest(String pushSourceName, String featureView, Map<String, List<Object>> columns,
                          int rowCount, PushTarget to) {
  public PushRequest {
    if ((pushSourceName == null) == (featureView == null)) {
      throw new IllegalArgumentException("exactly one of pushSourceName and featureView must be set");
    }
    columns = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(columns));
  }
}
