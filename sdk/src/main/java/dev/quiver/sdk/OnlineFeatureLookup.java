package dev.quiver.sdk;

import java.util.List;
import java.util.Map;

/**
 * Online feature lookups, the same whether in process ({@link FeatureStore}, RocksDB, no network
 * hop) or over HTTP ({@link RemoteFeatureStore}, Feast's {@code POST /get-online-features}).
 *
 * <p>Entities are column-major, as Feast's: join key name to one value per entity, e.g.
 * {@code Map.of("driver_id", List.of(1001, 1002))}. Each feature view takes the columns of its own
 * join keys.
 */
public interface OnlineFeatureLookup {
  /**
   * Looks up {@code view:feature} references for the entities, at the time of the call.
   *
   * @throws dev.quiver.registry.UserInputException naming the reference or entity field that is wrong
   *     (unknown view or feature, missing join key, wrong key type, lists of different lengths)
   */
  OnlineResult getOnlineFeatures(List<String> featureRefs, Map<String, ? extends List<?>> entities);

  /**
   * Looks up the features of a feature service for the entities.
   *
   * @throws dev.quiver.registry.UserInputException naming the service or entity field that is wrong
   */
  OnlineResult getOnlineFeatures(String featureService, Map<String, ? extends List<?>> entities);

  /**
   * Like {@link #getOnlineFeatures(List, Map)}, with the ttl judged at {@code now} instead of the
   * lookup's own clock (over HTTP: the request's {@code "now"}), optionally with
   * {@code view__feature} names. A check that compares with a training set at {@code now} uses it.
   */
  OnlineResult getOnlineFeatures(List<String> featureRefs, Map<String, ? extends List<?>> entities,
                                 java.time.Instant now, boolean fullFeatureNames);

  /**
   * Up to {@code max} distinct entities that hold a value of {@code view} online (each its join-key
   * values in the view's join-key order), drawn reproducibly for {@code seed} without reading the
   * whole store.
   *
   * @throws dev.quiver.registry.UserInputException naming the view when it is unknown
   */
  List<List<Object>> sampleEntities(String view, int max, long seed);
}
