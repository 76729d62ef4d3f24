package dev.quiver.sdk;

import dev.quiver.online.FeatureValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The answer of an {@link OnlineFeatureLookup}: per requested entity (in request order) its join
 * key values, and per requested feature (in request order) a value, a status and an event time.
 * Immutable.
 *
 * <p>Values are in the registry's Java form in process (FLOAT32 is a {@link Float}); over HTTP
 * they are JSON's (numbers as {@link Long} or {@link Double}, timestamps and bytes as strings),
 * since the wire carries no types. {@link dev.quiver.registry.ValueType#coerce} maps either to
 * the feature's type.
 */
public final class OnlineResult {
  private final List<String> joinKeys;
  private final Map<String, List<Object>> keyColumns;
  private final List<String> featureNames;
  private final FeatureValue[] values;
  private final int size;

  /**
   * @param keyColumns join key name to one value per entity
   * @param featureNames the feature names, in request order ({@code feature} or {@code view__feature})
   * @param values row-major: entity {@code i}, feature {@code j} at {@code i * featureNames.size() + j}
   */
  OnlineResult(Map<String, ? extends List<?>> keyColumns, List<String> featureNames, FeatureValue[] values, int size) {
    Map<String, List<Object>> cols = new LinkedHashMap<>();
    keyColumns.forEach((k, v) -> cols.put(k, Collections.unmodifiableList(new ArrayList<>(v))));
    this.keyColumns = Collections.unmodifiableMap(cols);
    this.joinKeys = List.copyOf(cols.keySet());
    this.featureNames = List.copyOf(featureNames);
    if (values.length != featureNames.size() * size) {
      throw new IllegalArgumentException("expected " + featureNames.size() * size + " values, got " + values.length);
    }
    this.values = values.clone();
    this.size = size;
  }

  /** The number of entities. */
  public int size() {
    return size;
  }

  /** The join key names of the request, in request order. */
  public List<String> joinKeys() {
    return joinKeys;
  }

  /** The value of a join key for entity {@code row}. */
  public Object joinKey(int row, String key) {
    List<Object> col = keyColumns.get(key);
    if (col == null) {
      throw new IllegalArgumentException("Cannot read join key " + key + ": not in the request (" + joinKeys + ")");
    }
    return col.get(row);
  }

  /** The feature names in request order. */
  public List<String> featureNames() {
    return featureNames;
  }

  /** The value of feature {@code feature} (index into {@link #featureNames()}) for entity {@code row}. */
  public FeatureValue value(int row, int feature) {
    if (row < 0 || row >= size || feature < 0 || feature >= featureNames.size()) {
      throw new IndexOutOfBoundsException("Cannot read value (" + row + ", " + feature + "): "
          + size + " entities x " + featureNames.size() + " features");
    }
    return values[row * featureNames.size() + feature];
  }

  /** The value of the named feature for entity {@code row}. */
  public FeatureValue value(int row, String featureName) {
    int j = featureNames.indexOf(featureName);
    if (j < 0) {
      throw new IllegalArgumentException("Cannot read feature " + featureName + ": not in the result ("
          + featureNames + ")");
    }
    return value(row, j);
  }

  /** Row-major maps: join keys, then each feature's value (null unless present), in request order. */
  public List<Map<String, Object>> toRows() {
    List<Map<String, Object>> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      Map<String, Object> row = new LinkedHashMap<>();
      for (String k : joinKeys) {
        row.put(k, keyColumns.get(k).get(i));
      }
      for (int j = 0; j < featureNames.size(); j++) {
        row.put(featureNames.get(j), value(i, j).value());
      }
      out.add(Collections.unmodifiableMap(row));
    }
    return Collections.unmodifiableList(out);
  }

  @Override
  public String toString() {
    return "OnlineResult" + toRows();
  }
}
