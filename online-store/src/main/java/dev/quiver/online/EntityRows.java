package dev.quiver.online;

import dev.quiver.registry.UserInputException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The entities of a lookup: for each join key name, one value per entity (column-major, as
 * Feast's {@code "entities": {"driver_id": [1001, 1002]}}). Each feature view of a request takes
 * the columns of its own join keys; extra columns are ignored. Immutable.
 */
public final class EntityRows {
  private final Map<String, List<Object>> columns;
  private final int size;

  private EntityRows(Map<String, List<Object>> columns, int size) {
    this.columns = columns;
    this.size = size;
  }

  /**
   * Column-major rows.
   *
   * @throws UserInputException naming the column when the lists differ in length or none is given
   */
  public static EntityRows columns(Map<String, ? extends List<?>> columns) {
    if (columns == null || columns.isEmpty()) {
      throw new UserInputException("Cannot read entities: no join key columns given");
    }
    Map<String, List<Object>> copy = new LinkedHashMap<>();
    int size = -1;
    String first = null;
    for (Map.Entry<String, ? extends List<?>> e : columns.entrySet()) {
      if (e.getValue() == null) {
        throw new UserInputException("Cannot read entities: entities." + e.getKey() + " is null, expected a list");
      }
      if (size < 0) {
        size = e.getValue().size();
        first = e.getKey();
      } else if (e.getValue().size() != size) {
        throw new UserInputException("Cannot read entities: entities." + e.getKey() + " has "
            + e.getValue().size() + " values but entities." + first + " has " + size
            + " (every join key needs one value per entity)");
      }
      copy.put(e.getKey(), Collections.unmodifiableList(new ArrayList<>(e.getValue())));
    }
    return new EntityRows(Collections.unmodifiableMap(copy), size);
  }

  /**
   * Row-major rows, each a map of join key to value.
   *
   * @throws UserInputException naming the row when rows have different join keys
   */
  public static EntityRows rows(List<? extends Map<String, ?>> rows) {
    if (rows.isEmpty()) {
      return new EntityRows(Map.of(), 0);
    }
    Set<String> keys = rows.get(0).keySet();
    Map<String, List<Object>> cols = new LinkedHashMap<>();
    keys.forEach(k -> cols.put(k, new ArrayList<>(rows.size())));
    for (int i = 0; i < rows.size(); i++) {
      Map<String, ?> r = rows.get(i);
      if (!r.keySet().equals(keys)) {
        throw new UserInputException("Cannot read entities: row " + i + " has join keys " + r.keySet()
            + " but row 0 has " + keys);
      }
      r.forEach((k, v) -> cols.get(k).add(v));
    }
    return columns(cols);
  }

  /** Rows of a single join key. */
  public static EntityRows of(String joinKey, List<?> values) {
    return columns(Map.of(joinKey, values));
  }

  /** The number of entities. */
  public int size() {
    return size;
  }

  /** The join key names given, in the order given. */
  public Set<String> joinKeyNames() {
    return columns.keySet();
  }

  /** The values of one join key, or null when it was not given. */
  public List<Object> column(String joinKey) {
    return columns.get(joinKey);
  }
}
