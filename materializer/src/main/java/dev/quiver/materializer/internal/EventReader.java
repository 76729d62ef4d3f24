package dev.quiver.materializer.internal;

import dev.quiver.materializer.DeadLetters.Reason;
import dev.quiver.registry.EntityKeyCodec;
import dev.quiver.registry.Feature;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.registry.JoinKey;
import dev.quiver.registry.RegistrySnapshot;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.AvroTypeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.SchemaStore;

/**
 * Decodes and validates one Kafka record of Quiver's wire format (see {@code EventEncoder}) into a
 * {@link FeatureEvent} of the writer view's current version, or says why it cannot.
 *
 * <p>Decoding: the 10-byte single-object header names the writer schema by fingerprint among all
 * registered versions of all views (one {@link SchemaStore} over the snapshot); the body is first
 * skipped over with the writer schema, which allocates nothing, so a corrupt length prefix cannot
 * make us allocate gigabytes and trailing bytes are caught; then Avro's {@link
 * BinaryMessageDecoder} decodes it, resolving the writer schema to the view's current version.
 *
 * <p>The verdict depends only on the record and the snapshot, never on the time of reading: the
 * future-skew check compares the event and created times with the record's own Kafka timestamp,
 * so a record re-read after a crash is judged as it was the first time.
 *
 * <p>One instance per registry snapshot; not thread-safe (decoders are reused).
 */
public final class EventReader {
  static final byte MAGIC_0 = (byte) 0xC3;
  static final byte MAGIC_1 = (byte) 0x01;
  static final int HEADER_LENGTH = 10;

  private final RegistrySnapshot snapshot;
  private final long maxFutureMicros;
  private final Map<String, BinaryMessageDecoder<GenericRecord>> decoders = new HashMap<>();
  private final Map<Long, Schema> writerSchemas = new HashMap<>();
  private final SchemaStore store;
  private BinaryDecoder skipDecoder;

  /**
   * @param maxFutureSkewMicros how far past the record's Kafka timestamp an event or created time may be
   */
  public EventReader(RegistrySnapshot snapshot, long maxFutureSkewMicros) {
    this.snapshot = snapshot;
    this.maxFutureMicros = maxFutureSkewMicros;
    this.store = fp -> snapshot.byFingerprint(fp)
        .map(v -> writerSchemas.computeIfAbsent(fp, k -> v.eventSchema())).orElse(null);
  }

  public RegistrySnapshot snapshot() {
    return snapshot;
  }

  /** The writer version named by a value's header, or null when the value has no valid header. */
  public FeatureViewVersion writerOf(byte[] value) {
    if (value == null || value.length < HEADER_LENGTH || value[0] != MAGIC_0 || value[1] != MAGIC_1) {
      return null;
    }
    return snapshot.byFingerprint(fingerprint(value)).orElse(null);
  }

  /**
   * Decodes and validates a record.
   *
   * @param createdHeader the {@code created_ts} header's value, or null when absent
   * @param recordTimestampMillis the Kafka record timestamp (negative when none: then no time is
   *     too far in the future)
   * @throws BadRecordException naming the reason and the problem
   */
  public FeatureEvent read(byte[] key, byte[] value, byte[] createdHeader, long recordTimestampMillis,
                           int partition, long offset) throws BadRecordException {
    if (value == null) {
      throw new BadRecordException(Reason.NOT_DECODABLE, "Cannot decode record: it has no value");
    }
    if (value.length < HEADER_LENGTH) {
      throw new BadRecordException(Reason.NOT_DECODABLE, "Cannot decode record: value of " + value.length
          + " bytes is shorter than the 10-byte single-object header");
    }
    if (value[0] != MAGIC_0 || value[1] != MAGIC_1) {
      throw new BadRecordException(Reason.NOT_DECODABLE, String.format(
          "Cannot decode record: value starts with %02X %02X, not the single-object marker C3 01",
          value[0] & 0xff, value[1] & 0xff));
    }
    long fp = fingerprint(value);
    FeatureViewVersion writer = snapshot.byFingerprint(fp).orElse(null);
    if (writer == null) {
      throw new BadRecordException(Reason.UNKNOWN_FINGERPRINT, String.format(
          "Cannot decode record: schema fingerprint %016X is not a registered version of any feature view", fp));
    }
    String view = writer.view();
    if (!snapshot.definitions().views().containsKey(view)) {
      throw new BadRecordException(Reason.UNKNOWN_FINGERPRINT, "Cannot decode record: feature view "
          + view + " (fingerprint of v" + writer.version() + ") is no longer defined");
    }
    skipBody(writer, value);
    FeatureViewVersion current = snapshot.currentVersion(view);
    GenericRecord r;
    try {
      r = decoders.computeIfAbsent(view, v -> new BinaryMessageDecoder<>(GenericData.get(),
          current.eventSchema(), store)).decode(value);
    } catch (AvroTypeException e) {
      throw new BadRecordException(Reason.SCHEMA_VIOLATION, "Cannot resolve " + view + "@v" + writer.version()
          + " to the current version v" + current.version() + ": " + e.getMessage());
    } catch (Exception e) {
      throw new BadRecordException(Reason.SCHEMA_VIOLATION, "Cannot decode record of " + view + "@v"
          + writer.version() + ": " + e);
    }

    Object ts = r.get(FeatureViewVersion.EVENT_TIMESTAMP);
    if (ts == null) {
      throw new BadRecordException(Reason.MISSING_TIMESTAMP, "Cannot accept event of " + view + ": it has no "
          + FeatureViewVersion.EVENT_TIMESTAMP);
    }
    long eventMicros = ((Number) ts).longValue();
    checkRange(view, FeatureViewVersion.EVENT_TIMESTAMP, eventMicros, recordTimestampMillis);

    long createdMicros;
    if (createdHeader != null) {
      if (createdHeader.length == 0) {
        throw new BadRecordException(Reason.MISSING_TIMESTAMP, "Cannot accept event of " + view
            + ": header created_ts is present but empty");
      }
      if (createdHeader.length != 8) {
        throw new BadRecordException(Reason.SCHEMA_VIOLATION, "Cannot accept event of " + view
            + ": header created_ts has " + createdHeader.length + " bytes, expected 8 (big-endian epoch micros)");
      }
      createdMicros = ByteBuffer.wrap(createdHeader).getLong();
      checkRange(view, "created_ts", createdMicros, recordTimestampMillis);
    } else if (recordTimestampMillis >= 0) {
      createdMicros = recordTimestampMillis * 1000L;
    } else {
      createdMicros = FeatureEvent.NO_CREATED_TIME;
    }

    List<Object> keys = new ArrayList<>(current.joinKeys().size());
    for (JoinKey k : current.joinKeys()) {
      keys.add(k.type().fromAvro(r.get(k.name())));
    }
    if (key == null) {
      throw new BadRecordException(Reason.KEY_MISMATCH, "Cannot accept event of " + view
          + ": the record has no key (expected the entity key of " + keys + ")");
    }
    byte[] expected;
    try {
      expected = EntityKeyCodec.encode(current.joinKeys(), keys);
    } catch (RuntimeException e) {
      throw new BadRecordException(Reason.SCHEMA_VIOLATION, "Cannot accept event of " + view + ": " + e.getMessage());
    }
    if (!Arrays.equals(expected, key)) {
      throw new BadRecordException(Reason.KEY_MISMATCH, "Cannot accept event of " + view
          + ": the record key is not the entity key of the value's join keys " + keys);
    }

    List<Object> values = new ArrayList<>(current.features().size());
    for (Feature f : current.features()) {
      values.add(f.type().fromAvro(r.get(f.name())));
    }
    return new FeatureEvent(view, current.version(), keys, eventMicros, createdMicros, partition, offset, values);
  }

  private void checkRange(String view, String what, long micros, long recordTimestampMillis)
      throws BadRecordException {
    if (micros < 0) {
      throw new BadRecordException(Reason.TIMESTAMP_OUT_OF_RANGE, "Cannot accept event of " + view + ": "
          + what + " " + micros + " us is before 1970");
    }
    if (recordTimestampMillis >= 0 && micros - recordTimestampMillis * 1000L > maxFutureMicros) {
      throw new BadRecordException(Reason.TIMESTAMP_OUT_OF_RANGE, "Cannot accept event of " + view + ": "
          + what + " " + micros + " us is more than " + (maxFutureMicros / 1_000L)
          + " ms after the record's Kafka timestamp " + recordTimestampMillis + " ms");
    }
  }

  private void skipBody(FeatureViewVersion writer, byte[] value) throws BadRecordException {
    Schema schema = writerSchemas.computeIfAbsent(fingerprint(value), fp -> writer.eventSchema());
    skipDecoder = DecoderFactory.get().binaryDecoder(value, HEADER_LENGTH, value.length - HEADER_LENGTH, skipDecoder);
    try {
      GenericDatumReader.skip(schema, skipDecoder);
      if (!skipDecoder.isEnd()) {
        throw new BadRecordException(Reason.SCHEMA_VIOLATION, "Cannot decode record of " + writer.view() + "@v"
            + writer.version() + ": trailing bytes after the record body");
      }
    } catch (EOFException e) {
      throw new BadRecordException(Reason.NOT_DECODABLE, "Cannot decode record of " + writer.view() + "@v"
          + writer.version() + ": the body is truncated");
    } catch (BadRecordException e) {
      throw e;
    } catch (Exception e) {
      throw new BadRecordException(Reason.SCHEMA_VIOLATION, "Cannot decode record of " + writer.view() + "@v"
          + writer.version() + ": the body does not match its schema: " + e.getMessage());
    }
  }

  static long fingerprint(byte[] value) {
    return ByteBuffer.wrap(value, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }
}
