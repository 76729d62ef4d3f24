package dev.quiver.sdk;

import java.util.List;
import java.util.Map;

/**
 * The result of {@link FeatureStore#checkConsistency}: how many entities and values were compared
 * per view, and every value where the online store and the training set at t = now differ.
 *
 * @param at the time t the training-set values were taken at
 * @param entitiesPerView entities compared, per view
 * @param valuesCompared values compared in all
 * @param mismatches every difference found (empty when consistent)
 */
public record ConsistencyReport(java.time.Instant at, Map<String, Integer> entitiesPerView, long valuesCompared,
                                List<Mismatch> mismatches) {
  public ConsistencyReport {
    entitiesPerView = Map.copyOf(entitiesPerView);
    mismatches = List.copyOf(mismatches);
  }

  /** One value that differs: the entity's join keys, the feature, both values and the online status. */
  public record Mismatch(String view, Map<String, Object> entity, String feature, Object onlineValue,
                         String onlineStatus, Object offlineValue) {
    @Override
    public String toString() {
      return view + " " + entity + " " + feature + ": online " + onlineValue + " (" + onlineStatus
          + "), offline " + offlineValue;
    }
  }

  public boolean consistent() {
    return mismatches.isEmpty();
  }
}
