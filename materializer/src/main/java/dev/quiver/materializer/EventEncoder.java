package dev.quiver.materializer;

import dev.quiver.registry.Feature;
import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.registry.EntityKeyCodec;
import dev.quiver.registry.JoinKey;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Timestamps;
import dev.quiver.registry.UserInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;

/**
 * Encodes rows of one feature-view version into Kafka records, Quiver's wire format.
 *
 * <ul>
 *   <li>Key: the canonical entity-key bytes ({@link EntityKeyCodec}) of the row's join keys, so one
 *       entity always lands in one partition.
 *   <li>Value: Avro single-object encoding of the version's {@link FeatureViewVersion#eventSchema()
 *       event schema}: {@code C3 01}, the 8-byte little-endian CRC-64-AVRO fingerprint of the
 *       schema, then the Avro binary body.
 *   <li>Optional header {@value #CREATED_TS_HEADER}: the created time as exactly 8 bytes,
 *       big-endian signed epoch microseconds ({@link #createdHeader(Instant)}). Without it the
 *       materializer takes the record's Kafka timestamp (milliseconds) as the created time.
 * </ul>
 *
 * <p>A row is a map from column name to value: every join key (non-null), {@value
 * FeatureViewVersion#EVENT_TIMESTAMP} (non-null; an {@link Instant}, epoch seconds or ISO-8601 text,
 * see {@link dev.quiver.registry.ValueType#coerce}), and any of the features (absent or null = no
 * value). Values are coerced with {@code ValueType.coerce}. Thread-safe.
 */
public final class EventEncoder {
  /** Name of the optional created-time header. */
  public static final String CREATED_TS_HEADER = "created_ts";

  private final FeatureViewVersion version;
  private final Schema schema;
  private final BinaryMessageEncoder<GenericRecord> encoder;
  private final Set<String> columns = new HashSet<>();

  private EventEncoder(FeatureViewVersion version) {
    this.version = version;
    this.schema = version.eventSchema();
    this.encoder = new BinaryMessageEncoder<>(GenericData.get(), schema);
    version.joinKeys().forEach(k -> columns.add(k.name()));
    columns.add(FeatureViewVersion.EVENT_TIMESTAMP);
    version.features().forEach(f -> columns.add(f.name()));
  }

  /** An encoder for this version of a view. */
  public static EventEncoder of(FeatureViewVersion version) {
    return new EventEncoder(version);
  }

  /** An encoder for the current version of a view. */
  public static EventEncoder of(RegistrySnapshot snapshot, String view) {
    return new EventEncoder(snapshot.currentVersion(view));
  }

  public FeatureViewVersion version() {
    return version;
  }

  /**
   * The record key: the entity-key bytes of the row's join keys.
   *
   * @throws UserInputException naming the key when one is missing or of the wrong type
   */
  public byte[] key(Map<String, ?> row) {
    List<Object> values = new ArrayList<>(version.joinKeys().size());
    for (JoinKey k : version.joinKeys()) {
      values.add(row.get(k.name()));
    }
    try {
      return EntityKeyCodec.encode(version.joinKeys(), values);
    } catch (UserInputException e) {
      throw new UserInputException("Cannot encode event of feature view " + version.view() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The record value (single-object encoding).
   *
   * @throws UserInputException naming the column when a column is unknown, a required one is
   *     missing, or a value does not fit its type
   */
  public byte[] value(Map<String, ?> row) {
    for (String c : row.keySet()) {
      if (!columns.contains(c)) {
        throw new UserInputException("Cannot encode event of feature view " + version.view() + "@v"
            + version.version() + ": unknown column " + c + " (columns: " + columnsInOrder() + ")");
      }
    }
    GenericData.Record r = new GenericData.Record(schema);
    for (JoinKey k : version.joinKeys()) {
      Object v = row.get(k.name());
      if (v == null) {
        throw new UserInputException("Cannot encode event of feature view " + version.view()
            + ": join key " + k.name() + " is missing");
      }
      r.put(k.name(), k.type().toAvro(coerce(k.name(), k.type(), v)));
    }
    Object ts = row.get(FeatureViewVersion.EVENT_TIMESTAMP);
    if (ts == null) {
      throw new UserInputException("Cannot encode event of feature view " + version.view()
          + ": " + FeatureViewVersion.EVENT_TIMESTAMP + " is missing");
    }
    Instant t = (Instant) coerce(FeatureViewVersion.EVENT_TIMESTAMP, dev.quiver.registry.ValueType.TIMESTAMP, ts);
    r.put(FeatureViewVersion.EVENT_TIMESTAMP, Timestamps.toMicros(t));
    for (Feature f : version.features()) {
      Object v = row.get(f.name());
      r.put(f.name(), v == null ? null : f.type().toAvro(coerce(f.name(), f.type(), v)));
    }
    try {
      ByteBuffer b = encoder.encode(r);
      byte[] out = new byte[b.remaining()];
      b.get(out);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot encode event of feature view " + version.view(), e);
    }
  }

  /** The {@value #CREATED_TS_HEADER} header value for a created time: 8 bytes, big-endian epoch micros. */
  public static byte[] createdHeader(Instant created) {
    return ByteBuffer.allocate(8).putLong(Timestamps.toMicros(created)).array();
  }

  private Object coerce(String column, dev.quiver.registry.ValueType type, Object v) {
    try {
      return type.coerce(v);
    } catch (IllegalArgumentException e) {
      throw new UserInputException("Cannot encode event of feature view " + version.view() + ": column "
          + column + ": " + e.getMessage());
    }
  }

  private List<String> columnsInOrder() {
    List<String> out = new ArrayList<>();
    version.joinKeys().forEach(k -> out.add(k.name()));
    out.add(FeatureViewVersion.EVENT_TIMESTAMP);
    version.features().forEach(f -> out.add(f.name()));
    return out;
  }
}
