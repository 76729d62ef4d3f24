package dev.quiver.online.internal;

import dev.quiver.registry.Feature;
import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.registry.QuiverException;
import dev.quiver.registry.Timestamps;
import dev.quiver.registry.ValueType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.avro.AvroTypeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;

/**
 * Avro encoders per (view, version) and decoders per (view, writer version, reader version).
 * A value written under an older version is read through Avro schema resolution into the
 * version the lookup reads: added features come back null, removed ones are skipped, and
 * promotions Avro allows (INT32 to INT64, FLOAT32 to FLOAT64) apply.
 */
public final class FeatureCodecs {
  private record ReaderKey(String view, int writer, int reader) {}

  private record WriterKey(String view, int version) {}

  /** A decoder and the reader schema it decodes into. */
  public record Decoder(GenericDatumReader<GenericRecord> reader, Schema readerSchema) {
    public GenericRecord decode(byte[] value, int offset, int length) {
      BinaryDecoder d = DecoderFactory.get().binaryDecoder(value, offset, length, DECODERS.get());
      DECODERS.set(d);
      try {
        return reader.read(null, d);
      } catch (IOException | RuntimeException e) {
        throw new QuiverException("Cannot decode online value of feature view " + readerSchema.getName()
            + ": " + e.getMessage(), e);
      }
    }

    /** The field position of a feature in the reader schema. */
    public int position(String feature) {
      return readerSchema.getField(feature).pos();
    }
  }

  /** An encoder of one version's feature record. */
  public record Encoder(GenericDatumWriter<GenericRecord> writer, Schema schema, List<Feature> features) {}

  private static final ThreadLocal<BinaryDecoder> DECODERS = new ThreadLocal<>();

  /**
   * Decodes a value written under the version it is read as, straight from the Avro binary into
   * Java values (no intermediate record): every feature is a union of null (branch 0) and its
   * type (branch 1). Only the features flagged in {@code wanted} are materialized.
   *
   * @return one Java value (or null) per feature of {@code features}; null where not wanted
   */
  public static Object[] decodeSameVersion(String view, byte[] value, int offset, int length, List<Feature> features,
                                           boolean[] wanted) {
    BinaryDecoder d = DecoderFactory.get().binaryDecoder(value, offset, length, DECODERS.get());
    DECODERS.set(d);
    Object[] out = new Object[features.size()];
    try {
      for (int i = 0; i < out.length; i++) {
        int branch = d.readIndex();
        if (branch == 0) {
          continue;
        }
        if (branch != 1) {
          throw new IOException("feature " + features.get(i).name() + " has union branch " + branch);
        }
        Object v = read(d, features.get(i).type());
        if (wanted[i]) {
          out[i] = v;
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new QuiverException("Cannot decode online value of feature view " + view + ": " + e.getMessage(), e);
    }
    return out;
  }

  private static Object read(BinaryDecoder d, ValueType type) throws IOException {
    switch (type) {
      case BOOL:
        return d.readBoolean();
      case INT32:
        return d.readInt();
      case INT64:
        return d.readLong();
      case FLOAT32:
        return d.readFloat();
      case FLOAT64:
        return d.readDouble();
      case STRING:
        return d.readString();
      case BYTES: {
        java.nio.ByteBuffer b = d.readBytes(null);
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return bytes;
      }
      case TIMESTAMP:
        return Timestamps.fromMicros(d.readLong());
      default: {
        ValueType element = type.elementType().orElseThrow();
        List<Object> items = new ArrayList<>();
        for (long n = d.readArrayStart(); n > 0; n = d.arrayNext()) {
          for (long i = 0; i < n; i++) {
            items.add(read(d, element));
          }
        }
        return List.copyOf(items);
      }
    }
  }

  private final Map<ReaderKey, Decoder> decoders = new ConcurrentHashMap<>();
  private final Map<WriterKey, Encoder> encoders = new ConcurrentHashMap<>();
  private final Map<WriterKey, Schema> schemas = new ConcurrentHashMap<>();
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
  private BinaryEncoder encoder;

  /**
   * The decoder reading values of {@code writerVersion} as {@code reader}.
   *
   * @param writer looks up the writer version (only on a cache miss)
   */
  public Decoder decoder(FeatureViewVersion reader, int writerVersion, Supplier<FeatureViewVersion> writer) {
    ReaderKey key = new ReaderKey(reader.view(), writerVersion, reader.version());
    Decoder d = decoders.get(key);
    if (d != null) {
      return d;
    }
    return decoders.computeIfAbsent(key, k -> {
      Schema readerSchema = schema(reader);
      Schema writerSchema = readerSchema;
      if (writerVersion != reader.version()) {
        FeatureViewVersion w = writer.get();
        writerSchema = schema(w);
        if (w.version() > reader.version()) {
          readerSchema = withoutRetypedFeatures(reader, w);
        }
      }
      try {
        return new Decoder(new GenericDatumReader<>(writerSchema, readerSchema), readerSchema);
      } catch (AvroTypeException e) {
        throw new QuiverException("Cannot read feature view " + reader.view() + " v" + writerVersion
            + " values as v" + reader.version() + ": " + e.getMessage(), e);
      }
    });
  }

  /**
   * The reader's feature record without the features that the later writer version gave another
   * type: the registry refuses to resolve those at the older version (see
   * {@link dev.quiver.registry.RegistrySnapshot#resolve}), so no lookup asks for them, and leaving
   * them in would make Avro fail the whole record, also for the features whose type did not change.
   */
  private static Schema withoutRetypedFeatures(FeatureViewVersion reader, FeatureViewVersion writer) {
    List<Feature> kept = new ArrayList<>();
    for (Feature f : reader.features()) {
      boolean retyped = writer.feature(f.name()).map(wf -> wf.type() != f.type()).orElse(false);
      if (!retyped) {
        kept.add(f);
      }
    }
    if (kept.size() == reader.features().size()) {
      return reader.featureSchema();
    }
    return new FeatureViewVersion(reader.view(), reader.version(), reader.joinKeys(), kept, reader.appliedAt())
        .featureSchema();
  }

  private Schema schema(FeatureViewVersion v) {
    return schemas.computeIfAbsent(new WriterKey(v.view(), v.version()), k -> v.featureSchema());
  }

  /**
   * Encodes feature values (already in Avro generic form, one per feature of {@code version}).
   * Not thread-safe: the store calls it under its write lock.
   */
  public byte[] encode(FeatureViewVersion version, Object[] avroValues) {
    Encoder e = encoders.computeIfAbsent(new WriterKey(version.view(), version.version()), k -> {
      Schema s = schema(version);
      return new Encoder(new GenericDatumWriter<>(s), s, version.features());
    });
    GenericData.Record rec = new GenericData.Record(e.schema());
    for (int i = 0; i < avroValues.length; i++) {
      rec.put(i, avroValues[i]);
    }
    buffer.reset();
    encoder = EncoderFactory.get().binaryEncoder(buffer, encoder);
    try {
      e.writer().write(rec, encoder);
      encoder.flush();
    } catch (IOException | RuntimeException ex) {
      throw new QuiverException("Cannot encode features of feature view " + version.view() + " v"
          + version.version() + ": " + ex.getMessage(), ex);
    }
    return buffer.toByteArray();
  }
}
