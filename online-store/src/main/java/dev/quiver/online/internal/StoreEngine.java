package dev.quiver.online.internal;

import dev.quiver.online.EntityRows;
import dev.quiver.online.FeatureStatus;
import dev.quiver.online.FeatureValue;
import dev.quiver.online.OnlineFeatures;
import dev.quiver.registry.EntityKeyCodec;
import dev.quiver.registry.Feature;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.registry.JoinKey;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.ResolvedFeature;
import dev.quiver.registry.Timestamps;
import dev.quiver.registry.UserInputException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.generic.GenericRecord;

/**
 * Typed reads and ordered writes over a {@link RocksDbCore}: entity keys, the value layout of
 * {@link ValueCodec}, the ordering rule, entries still ahead of now, and the ttl.
 */
public final class StoreEngine {
  private final RocksDbCore core;
  private final FeatureCodecs codecs = new FeatureCodecs();
  private volatile RegistrySnapshot registry;

  public StoreEngine(RocksDbCore core, RegistrySnapshot registry) {
    this.core = core;
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  public RegistrySnapshot registry() {
    return registry;
  }

  public void useRegistry(RegistrySnapshot next) {
    this.registry = Objects.requireNonNull(next, "registry");
  }

  public RocksDbCore core() {
    return core;
  }

  // ---------------------------------------------------------------- reads

  private record GroupKey(String view, int version) {}

  /** See {@link dev.quiver.online.OnlineStore#get}. */
  public OnlineFeatures get(List<ResolvedFeature> features, EntityRows rows, Instant now) {
    int n = rows.size();
    int f = features.size();
    FeatureValue[] out = new FeatureValue[n * f];
    long nowMicros = Timestamps.toMicros(now);
    // group the requested features by the view version they read, keeping request order inside
    Map<GroupKey, List<Integer>> groups = new LinkedHashMap<>();
    for (int j = 0; j < f; j++) {
      ResolvedFeature rf = features.get(j);
      groups.computeIfAbsent(new GroupKey(rf.view().name(), rf.version().version()), k -> new ArrayList<>(f)).add(j);
    }
    for (List<Integer> group : groups.values()) {
      readGroup(features, group, rows, nowMicros, out);
    }
    return new OnlineFeatures(features, rows, out);
  }

  private void readGroup(List<ResolvedFeature> features, List<Integer> group, EntityRows rows,
                         long nowMicros, FeatureValue[] out) {
    ResolvedFeature first = features.get(group.get(0));
    FeatureViewVersion reader = first.version();
    String view = reader.view();
    int n = rows.size();
    int f = features.size();
    List<byte[]> keys = entityKeys(view, reader.joinKeys(), rows);
    List<byte[]> values = core.multiGet(view, keys);
    Duration ttl = first.view().ttl();
    long ttlMicros = ttl.isZero() || ttl.isNegative() ? 0 : Timestamps.toMicros(Instant.EPOCH.plus(ttl));
    // where each requested feature sits in the reader version
    List<Feature> readerFeatures = reader.features();
    int[] positions = new int[group.size()];
    boolean[] wanted = new boolean[readerFeatures.size()];
    for (int g = 0; g < group.size(); g++) {
      String name = features.get(group.get(g)).feature().name();
      for (int p = 0; p < readerFeatures.size(); p++) {
        if (readerFeatures.get(p).name().equals(name)) {
          positions[g] = p;
          wanted[p] = true;
        }
      }
    }
    for (int i = 0; i < n; i++) {
      byte[] v = values.get(i);
      if (v == null) {
        for (int j : group) {
          out[i * f + j] = FeatureValue.NOT_FOUND;
        }
        continue;
      }
      // the entry the point-in-time join at t = now would pick; an entry still ahead is not served
      ValueCodec.Entry entry = ValueCodec.select(view, v, nowMicros);
      if (entry == null) {
        for (int j : group) {
          out[i * f + j] = FeatureValue.NOT_FOUND;
        }
        continue;
      }
      ValueCodec.Header h = entry.header();
      Instant eventTime = Timestamps.fromMicros(h.eventMicros());
      if (ttlMicros > 0 && nowMicros - h.eventMicros() > ttlMicros) {
        FeatureValue stale = new FeatureValue(null, FeatureStatus.OUTSIDE_MAX_AGE, eventTime);
        for (int j : group) {
          out[i * f + j] = stale;
        }
        continue;
      }
      Object[] decoded = h.schemaVersion() == reader.version()
          ? FeatureCodecs.decodeSameVersion(view, entry.bytes(), entry.featuresOffset(), entry.featuresLength(),
              readerFeatures, wanted)
          : decodeOtherVersion(reader, h.schemaVersion(), entry);
      for (int g = 0; g < group.size(); g++) {
        Object value = decoded[positions[g]];
        out[i * f + group.get(g)] = value == null
            ? new FeatureValue(null, FeatureStatus.NULL_VALUE, eventTime)
            : new FeatureValue(value, FeatureStatus.PRESENT, eventTime);
      }
    }
  }

  /** A value written under another version, read through Avro schema resolution. */
  private Object[] decodeOtherVersion(FeatureViewVersion reader, int writerVersion, ValueCodec.Entry entry) {
    FeatureCodecs.Decoder decoder = codecs.decoder(reader, writerVersion,
        () -> registry.version(reader.view(), writerVersion));
    GenericRecord rec = decoder.decode(entry.bytes(), entry.featuresOffset(), entry.featuresLength());
    List<Feature> fs = reader.features();
    Object[] out = new Object[fs.size()];
    for (int p = 0; p < out.length; p++) {
      // by name: the decoder's record may leave out features retyped since the reader's version
      org.apache.avro.Schema.Field field = decoder.readerSchema().getField(fs.get(p).name());
      out[p] = field == null ? null : fs.get(p).type().fromAvro(rec.get(field.pos()));
    }
    return out;
  }

  private static List<byte[]> entityKeys(String view, List<JoinKey> joinKeys, EntityRows rows) {
    List<List<Object>> columns = new ArrayList<>(joinKeys.size());
    for (JoinKey k : joinKeys) {
      List<Object> col = rows.column(k.name());
      if (col == null) {
        throw new UserInputException("Cannot get online features: entities." + k.name()
            + " is missing (feature view " + view + " needs join keys "
            + joinKeys.stream().map(JoinKey::name).toList() + ", got " + rows.joinKeyNames() + ")");
      }
      columns.add(col);
    }
    List<byte[]> keys = new ArrayList<>(rows.size());
    Object[] one = new Object[joinKeys.size()];
    for (int i = 0; i < rows.size(); i++) {
      for (int k = 0; k < joinKeys.size(); k++) {
        JoinKey jk = joinKeys.get(k);
        Object raw = columns.get(k).get(i);
        if (raw == null) {
          throw new UserInputException("Cannot get online features: entities." + jk.name() + "[" + i + "] is null");
        }
        try {
          one[k] = jk.type().coerce(raw);
        } catch (IllegalArgumentException e) {
          throw new UserInputException("Cannot get online features: entities." + jk.name() + "[" + i + "]: "
              + e.getMessage());
        }
      }
      keys.add(EntityKeyCodec.encode(joinKeys, java.util.Arrays.asList(one)));
    }
    return keys;
  }

  // ---------------------------------------------------------------- writes

  /**
   * See {@link dev.quiver.online.OnlineStore#write}. Writers are serialized. Per entity the stored
   * entries and the batch's events are merged and pruned at {@code nowMicros} (see
   * {@link ValueCodec#retain}): what a read at now or later may return is kept, nothing else.
   */
  public synchronized void write(List<FeatureEvent> batch, Map<String, byte[]> meta, long nowMicros) {
    RegistrySnapshot reg = registry;
    // 1. per view and entity, every event of the batch, each checked and converted
    Map<String, LinkedHashMap<ByteKey, List<Pending>>> byEntity = new LinkedHashMap<>();
    Map<String, FeatureViewVersion> versions = new HashMap<>();
    for (FeatureEvent e : batch) {
      FeatureViewVersion ver = versions.computeIfAbsent(e.view() + "@" + e.schemaVersion(),
          k -> reg.version(e.view(), e.schemaVersion()));
      if (e.values().size() != ver.features().size()) {
        throw new UserInputException("Cannot write event of feature view " + e.view() + " at offset "
            + e.offset() + ": " + e.values().size() + " values for the " + ver.features().size()
            + " features of v" + ver.version());
      }
      ByteKey key;
      try {
        key = new ByteKey(EntityKeyCodec.encode(ver.joinKeys(), e.keys()));
      } catch (UserInputException ex) {
        throw new UserInputException("Cannot write event of feature view " + e.view() + " at offset "
            + e.offset() + ": " + ex.getMessage(), ex);
      }
      byEntity.computeIfAbsent(e.view(), k -> new LinkedHashMap<>())
          .computeIfAbsent(key, k -> new ArrayList<>(1)).add(new Pending(e, ver, avroValues(ver, e)));
    }
    // 2. merge with the stored entries, keep what a read from now on may need, encode what changed
    Map<String, Map<ByteKey, byte[]>> puts = new LinkedHashMap<>();
    for (Map.Entry<String, LinkedHashMap<ByteKey, List<Pending>>> ve : byEntity.entrySet()) {
      String view = ve.getKey();
      List<ByteKey> keys = new ArrayList<>(ve.getValue().keySet());
      List<byte[]> stored = core.multiGet(view, keys.stream().map(ByteKey::bytes).toList());
      Map<ByteKey, byte[]> viewPuts = new LinkedHashMap<>();
      for (int i = 0; i < keys.size(); i++) {
        byte[] s = stored.get(i);
        List<ValueCodec.Entry> before = s == null ? List.of() : ValueCodec.entries(view, s);
        List<ValueCodec.Entry> merged = new ArrayList<>(before);
        // incoming entries carry no bytes until they survive; stored ones come first, so an
        // event equal to a stored one in the ordering rule (a replay) keeps the stored entry
        Map<ValueCodec.Entry, Pending> incoming = new IdentityHashMap<>();
        for (Pending p : ve.getValue().get(keys.get(i))) {
          FeatureEvent e = p.event();
          ValueCodec.Entry placeholder = ValueCodec.Entry.of(new ValueCodec.Header(e.eventMicros(), e.createdMicros(),
              e.partition(), e.offset(), p.version().version()), NO_BYTES);
          incoming.put(placeholder, p);
          merged.add(placeholder);
        }
        List<ValueCodec.Entry> kept = ValueCodec.retain(merged, nowMicros);
        boolean changed = kept.size() != before.size();
        for (int k = 0; k < kept.size(); k++) {
          Pending p = incoming.get(kept.get(k));
          if (p != null) {
            changed = true;
            kept.set(k, ValueCodec.Entry.of(kept.get(k).header(), codecs.encode(p.version(), p.avro())));
          }
        }
        if (changed) {
          viewPuts.put(keys.get(i), ValueCodec.encode(kept));
        }
      }
      if (!viewPuts.isEmpty()) {
        puts.put(view, viewPuts);
      }
    }
    // 3. one atomic batch with the metadata
    core.write(puts, meta);
  }

  private static final byte[] NO_BYTES = new byte[0];

  private record Pending(FeatureEvent event, FeatureViewVersion version, Object[] avro) {}

  private static Object[] avroValues(FeatureViewVersion ver, FeatureEvent e) {
    List<Feature> fs = ver.features();
    Object[] out = new Object[fs.size()];
    for (int i = 0; i < out.length; i++) {
      Feature feature = fs.get(i);
      try {
        out[i] = feature.type().toAvro(feature.type().coerce(e.values().get(i)));
      } catch (IllegalArgumentException | ClassCastException ex) {
        throw new UserInputException("Cannot write event of feature view " + e.view() + " at offset "
            + e.offset() + ": feature " + feature.name() + ": " + ex.getMessage(), ex);
      }
    }
    return out;
  }
}
