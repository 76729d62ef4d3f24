package dev.quiver.sdk;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The result of {@link FeatureStore#checkConsistency}: how many entities and values were compared
 * per view, every value where the online store and the training set at t differ, and the entities
 * one store holds and the other lacks.
 *
 * @param at the time t both sides were judged at (the training set's spine time, the lookups' ttl)
 * @param entitiesPerView distinct entities compared, per view (sampled from both stores)
 * @param valuesCompared values compared in all (entities found in both stores times features)
 * @param mismatches every feature value that differs in value, status or event time (empty when consistent)
 * @param missing entities the offline store holds that the online store lacks
 * @param extra entities the online store holds a value of at t that the offline store lacks at t
 */
public record ConsistencyReport(Instant at, Map<String, Integer> entitiesPerView, long valuesCompared,
                                List<Mismatch> mismatches, List<EntityDifference> missing,
                                List<EntityDifference> extra) {
  public ConsistencyReport {
    entitiesPerView = Map.copyOf(entitiesPerView);
    mismatches = List.copyOf(mismatches);
    missing = List.copyOf(missing);
    extra = List.copyOf(extra);
  }

  /**
   * One feature value that differs: the entity's join keys, the feature, and per side the value,
   * the status ({@code PRESENT}, {@code NULL_VALUE}, {@code NOT_FOUND}; online also
   * {@code OUTSIDE_MAX_AGE}; offline {@code NOT_FOUND} = no event in {@code [t - ttl, t]}) and the
   * event time of the value (null when none).
   */
  public record Mismatch(String view, Map<String, Object> entity, String feature, Object onlineValue,
                         String onlineStatus, Instant onlineEventTime, Object offlineValue, String offlineStatus,
                         Instant offlineEventTime) {
    @Override
    public String toString() {
      return view + " " + entity + " " + feature + ": online " + onlineValue + " (" + onlineStatus
          + (onlineEventTime == null ? "" : " at " + onlineEventTime) + "), offline " + offlineValue + " ("
          + offlineStatus + (offlineEventTime == null ? "" : " at " + offlineEventTime) + ")";
    }
  }

  /** An entity one store holds and the other lacks, with what the holding store has. */
  public record EntityDifference(String view, Map<String, Object> entity, String detail) {
    @Override
    public String toString() {
      return view + " " + entity + ": " + detail;
    }
  }

  /** No mismatch, no missing and no extra entity. */
  public boolean consistent() {
    return mismatches.isEmpty() && missing.isEmpty() && extra.isEmpty();
  }
}
