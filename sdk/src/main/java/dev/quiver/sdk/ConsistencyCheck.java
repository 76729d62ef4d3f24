package dev.quiver.sdk;

import dev.quiver.offline.CommittedFile;
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
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Online/offline consistency: for sampled entities of a view (drawn, with a fixed seed, from the
 * keys in the offline store's committed files), the online value at time t must equal the
 * training-set value for a spine row at t (DESIGN.md "The ordering rule": after the stream is
 * drained, the two agree). Values are compared after typing both with the feature's
 * {@link ValueType}; a null offline value matches an online status other than PRESENT.
 */
final class ConsistencyCheck {
  private static final long SEED = 20240501L;

  private final FeatureStore store;
  private final OnlineFeatureLookup online;

  ConsistencyCheck(FeatureStore store, OnlineFeatureLookup online) {
    this.store = store;
    this.online = online;
  }

  ConsistencyReport run(Collection<String> requested, int sample) {
    if (sample < 1) {
      throw new dev.quiver.registry.UserInputException("Cannot check consistency: sample must be at least 1, got " + sample);
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
    long compared = 0;
    for (String view : views) {
      FeatureViewVersion version = registry.currentVersion(view);
      List<List<Object>> keys = sampleKeys(view, version.joinKeys(), sample);
      counts.put(view, keys.size());
      if (keys.isEmpty()) {
        continue;
      }
      List<String> refs = new ArrayList<>();
      for (Feature f : version.features()) {
        refs.add(view + ":" + f.name());
      }
      Map<String, List<Object>> entities = new LinkedHashMap<>();
      for (int k = 0; k < version.joinKeys().size(); k++) {
        List<Object> col = new ArrayList<>(keys.size());
        for (List<Object> key : keys) {
          col.add(key.get(k));
        }
        entities.put(version.joinKeys().get(k).name(), col);
      }
      OnlineResult on = online instanceof FeatureStore fs
          ? fs.getOnlineFeatures(refs, entities, at, false)
          : online.getOnlineFeatures(refs, entities);
      List<Map<String, Object>> off = offlineValues(view, version, keys, refs, at);
      for (int i = 0; i < keys.size(); i++) {
        Map<String, Object> entity = new LinkedHashMap<>();
        for (int k = 0; k < version.joinKeys().size(); k++) {
          entity.put(version.joinKeys().get(k).name(), keys.get(i).get(k));
        }
        for (int j = 0; j < version.features().size(); j++) {
          Feature f = version.features().get(j);
          FeatureValue v = on.value(i, j);
          Object onlineValue = v.status() == FeatureStatus.PRESENT ? typed(f.type(), v.value()) : null;
          Object offlineValue = typed(f.type(), off.get(i).get(view + "__" + f.name()));
          compared++;
          if (!same(onlineValue, offlineValue)) {
            mismatches.add(new ConsistencyReport.Mismatch(view, entity, f.name(), onlineValue, v.status().name(),
                offlineValue));
          }
        }
      }
    }
    return new ConsistencyReport(at, counts, compared, mismatches);
  }

  private List<List<Object>> sampleKeys(String view, List<JoinKey> joinKeys, int sample) {
    Set<List<Object>> keys = new LinkedHashSet<>();
    for (CommittedFile f : store.offlineStore().committedFiles(view)) {
      RowFiles.forEach(f.path(), row -> {
        List<Object> key = new ArrayList<>(joinKeys.size());
        for (JoinKey k : joinKeys) {
          key.add(k.type().coerce(row.get(k.name())));
        }
        keys.add(Collections.unmodifiableList(key));
      });
    }
    List<List<Object>> all = new ArrayList<>(keys);
    Collections.shuffle(all, new Random(SEED));
    return all.subList(0, Math.min(sample, all.size()));
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
      store.getHistoricalFeatures(spine.build(), refs).withFullFeatureNames(true).write(out, ExportFormat.PARQUET);
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
