package dev.quiver.sdk;

import dev.quiver.offline.ExportFormat;
import dev.quiver.offline.Spine;
import dev.quiver.online.FeatureStatus;
import dev.quiver.online.FeatureValue;
import dev.quiver.registry.Feature;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.registry.JoinKey;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Timestamps;
import dev.quiver.registry.UserInputException;
import dev.quiver.registry.ValueType;
import dev.quiver.sdk.internal.RowFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Online/offline consistency at one time t, picked once from the store's clock: for entities of a
 * view sampled from both stores (with a fixed seed: {@link dev.quiver.offline.OfflineStore#sampleEntities}
 * reads only key columns of a bounded sample of files, {@link OnlineFeatureLookup#sampleEntities}
 * seeks into RocksDB), the online lookup with the ttl judged at t (over HTTP too: the request's
 * {@code "now"}) must give what a training set gives for a spine row at t (DESIGN.md "The ordering
 * rule": after the stream is drained and flushed, the two agree): the same status, value and event
 * time per feature. Values are compared after typing both with the feature's {@link ValueType}.
 *
 * <p>Per entity: online NOT_FOUND for an entity the offline store holds is <em>missing</em>; a value
 * online at t (PRESENT or NULL_VALUE) where the training set has no event in {@code [t - ttl, t]}
 * is <em>extra</em>; otherwise every feature is compared (online OUTSIDE_MAX_AGE matches no offline
 * event at t).
 */
final class ConsistencyCheck {
  private static final long SEED = 20240501L;
  /** Entities per lookup request (below any server's entity limit). */
  private static final int LOOKUP_CHUNK = 100;

  private final FeatureStore store;
  private final OnlineFeatureLookup online;

  ConsistencyCheck(FeatureStore store, OnlineFeatureLookup online) {
    this.store = store;
    this.online = online;
  }

  ConsistencyReport run(Collection<String> requested, int sample) {
    if (sample < 1) {
      throw new UserInputException("Cannot check consistency: sample must be at least 1, got " + sample);
    }
    RegistrySnapshot registry = store.refreshRegistry();
    List<String> views = new ArrayList<>();
    if (requested.isEmpty()) {
      registry.definitions().views().values().stream()
          .filter(v -> v.online() && v.offline()).map(FeatureView::name).sorted().forEach(views::add);
    } else {
      for (String v : requested) {
        views.add(registry.view(v).name());
      }
    }
    Instant at = Timestamps.truncateToMicros(store.clock().instant());
    Map<String, Integer> counts = new LinkedHashMap<>();
    List<ConsistencyReport.Mismatch> mismatches = new ArrayList<>();
    List<ConsistencyReport.EntityDifference> missing = new ArrayList<>();
    List<ConsistencyReport.EntityDifference> extra = new ArrayList<>();
    long compared = 0;
    for (String view : views) {
      FeatureViewVersion version = registry.currentVersion(view);
      List<JoinKey> joinKeys = version.joinKeys();
      java.time.Duration ttl = registry.view(view).ttl();
      Set<List<Object>> fromOffline = new HashSet<>();
      Set<List<Object>> all = new LinkedHashSet<>();
      for (List<Object> k : store.offlineStore().sampleEntities(view, sample, SEED)) {
        List<Object> key = typedKey(joinKeys, k);
        fromOffline.add(key);
        all.add(key);
      }
      for (List<Object> k : online.sampleEntities(view, sample, SEED)) {
        all.add(typedKey(joinKeys, k));
      }
      List<List<Object>> keys = new ArrayList<>(all);
      counts.put(view, keys.size());
      if (keys.isEmpty()) {
        continue;
      }
      List<String> refs = new ArrayList<>();
      for (Feature f : version.features()) {
        refs.add(view + ":" + f.name());
      }
      List<FeatureValue[]> on = onlineValues(refs, joinKeys, keys, at);
      List<Map<String, Object>> off = offlineValues(view, version, keys, refs, at);
      String eventColumn = view + "__" + FeatureViewVersion.EVENT_TIMESTAMP;
      for (int i = 0; i < keys.size(); i++) {
        Map<String, Object> entity = new LinkedHashMap<>();
        for (int k = 0; k < joinKeys.size(); k++) {
          entity.put(joinKeys.get(k).name(), keys.get(i).get(k));
        }
        FeatureValue[] onRow = on.get(i);
        FeatureStatus onStatus = onRow[0].status();
        Instant offTime = offlineTime(off.get(i).get(eventColumn));
        if (onStatus == FeatureStatus.NOT_FOUND) {
          if (offTime != null || fromOffline.contains(keys.get(i))) {
            missing.add(new ConsistencyReport.EntityDifference(view, entity, "offline has it ("
                + (offTime == null ? "no event in the ttl window at " + at : "event time " + offTime)
                + "), online has no value"));
          }
          continue;
        }
        if (offTime == null) {
          if (onStatus != FeatureStatus.OUTSIDE_MAX_AGE) {
            extra.add(new ConsistencyReport.EntityDifference(view, entity, "online has a value (event time "
                + onRow[0].eventTime() + "), offline has no event at " + at
                + (ttl.isZero() ? "" : " within its ttl of " + ttl)));
          }
          continue;
        }
        for (int j = 0; j < version.features().size(); j++) {
          Feature f = version.features().get(j);
          FeatureValue v = onRow[j];
          Object onlineValue = v.status() == FeatureStatus.PRESENT ? typed(f.type(), v.value()) : null;
          Object offlineValue = typed(f.type(), off.get(i).get(view + "__" + f.name()));
          String offStatus = offlineValue == null ? FeatureStatus.NULL_VALUE.name() : FeatureStatus.PRESENT.name();
          compared++;
          if (!same(onlineValue, offlineValue) || !v.status().name().equals(offStatus)
              || !Objects.equals(v.eventTime(), offTime)) {
            mismatches.add(new ConsistencyReport.Mismatch(view, entity, f.name(), onlineValue, v.status().name(),
                v.eventTime(), offlineValue, offStatus, offTime));
          }
        }
      }
    }
    return new ConsistencyReport(at, counts, compared, mismatches, missing, extra);
  }

  private static List<Object> typedKey(List<JoinKey> joinKeys, List<Object> raw) {
    List<Object> key = new ArrayList<>(joinKeys.size());
    for (int k = 0; k < joinKeys.size(); k++) {
      key.add(joinKeys.get(k).type().coerce(raw.get(k)));
    }
    return List.copyOf(key);
  }

  /** Per entity the online values of every feature, the ttl judged at {@code at}. */
  private List<FeatureValue[]> onlineValues(List<String> refs, List<JoinKey> joinKeys, List<List<Object>> keys,
                                            Instant at) {
    List<FeatureValue[]> out = new ArrayList<>(keys.size());
    for (int from = 0; from < keys.size(); from += LOOKUP_CHUNK) {
      List<List<Object>> chunk = keys.subList(from, Math.min(keys.size(), from + LOOKUP_CHUNK));
      Map<String, List<Object>> entities = new LinkedHashMap<>();
      for (int k = 0; k < joinKeys.size(); k++) {
        List<Object> col = new ArrayList<>(chunk.size());
        for (List<Object> key : chunk) {
          col.add(key.get(k));
        }
        entities.put(joinKeys.get(k).name(), col);
      }
      OnlineResult r = online.getOnlineFeatures(refs, entities, at, false);
      for (int i = 0; i < chunk.size(); i++) {
        FeatureValue[] row = new FeatureValue[refs.size()];
        for (int j = 0; j < refs.size(); j++) {
          row[j] = r.value(i, j);
        }
        out.add(row);
      }
    }
    return out;
  }

  private List<Map<String, Object>> offlineValues(String view, FeatureViewVersion version, List<List<Object>> keys,
                                                  List<String> refs, Instant at) {
    Spine.Builder spine = Spine.builder();
    for (JoinKey k : version.joinKeys()) {
      spine.withColumn(k.name(), k.type());
    }
    spine.withColumn(FeatureViewVersion.EVENT_TIMESTAMP, ValueType.TIMESTAMP);
    for (List<Object> key : keys) {
      Object[] row = new Object[key.size() + 1];
      for (int k = 0; k < key.size(); k++) {
        row[k] = key.get(k);
      }
      row[key.size()] = at;
      spine.addRow(row);
    }
    Path dir = null;
    try {
      dir = Files.createTempDirectory("quiver-consistency-");
      Path out = dir.resolve(view + ".parquet");
      store.getHistoricalFeatures(spine.build(), refs).withFullFeatureNames(true).withEventTimestamps(true)
          .write(out, ExportFormat.PARQUET);
      return RowFiles.read(out);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot check consistency of " + view + ": " + e.getMessage(), e);
    } finally {
      if (dir != null) {
        try (Stream<Path> walk = Files.walk(dir)) {
          walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
          // best effort
        }
      }
    }
  }

  private static Instant offlineTime(Object v) {
    return v == null ? null : (Instant) ValueType.TIMESTAMP.coerce(v);
  }

  private static Object typed(ValueType type, Object v) {
    if (v == null) {
      return null;
    }
    return type.coerce(v instanceof java.nio.ByteBuffer b ? RowFiles.toJava(b, org.apache.avro.Schema.create(
        org.apache.avro.Schema.Type.BYTES)) : v);
  }

  private static boolean same(Object a, Object b) {
    if (a instanceof byte[] x && b instanceof byte[] y) {
      return Arrays.equals(x, y);
    }
    return Objects.equals(a, b);
  }
}
