package dev.quiver.registry;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;

/**
 * The value types a feature or join key can have, and the ONE table mapping each to Avro,
 * Parquet, Arrow and JSON. Every module that stores or transports values reads the mapping
 * from here; nothing else decides how a type is represented.
 *
 * <p>In Java a value is held as: BOOL {@link Boolean}, INT32 {@link Integer}, INT64 {@link Long},
 * FLOAT32 {@link Float}, FLOAT64 {@link Double}, STRING {@link String}, BYTES {@code byte[]},
 * TIMESTAMP {@link Instant} (microsecond precision), and a LIST of any of these as an
 * unmodifiable {@link List} (elements never null). {@code null} means "no value".
 */
public enum ValueType {
  //          yaml name  tag  avro                 parquet physical      parquet logical      arrow                   json
  BOOL(       "BOOL",      1, Schema.Type.BOOLEAN, "BOOLEAN",            null,                "Bool",                 "boolean"),
  INT32(      "INT32",     2, Schema.Type.INT,     "INT32",              null,                "Int(32, signed)",      "number"),
  INT64(      "INT64",     3, Schema.Type.LONG,    "INT64",              null,                "Int(64, signed)",      "number"),
  FLOAT32(    "FLOAT32",   4, Schema.Type.FLOAT,   "FLOAT",              null,                "FloatingPoint(SINGLE)", "number"),
  FLOAT64(    "FLOAT64",   5, Schema.Type.DOUBLE,  "DOUBLE",             null,                "FloatingPoint(DOUBLE)", "number"),
  STRING(     "STRING",    6, Schema.Type.STRING,  "BINARY",             "STRING",            "Utf8",                 "string"),
  BYTES(      "BYTES",     7, Schema.Type.BYTES,   "BINARY",             null,                "Binary",               "string (base64)"),
  TIMESTAMP(  "TIMESTAMP", 8, Schema.Type.LONG,    "INT64",              "TIMESTAMP(MICROS,true)", "Timestamp(MICROSECOND, UTC)", "string (ISO-8601 UTC)"),
  BOOL_LIST(     BOOL),
  INT32_LIST(    INT32),
  INT64_LIST(    INT64),
  FLOAT32_LIST(  FLOAT32),
  FLOAT64_LIST(  FLOAT64),
  STRING_LIST(   STRING),
  BYTES_LIST(    BYTES),
  TIMESTAMP_LIST(TIMESTAMP);

  private static final Map<String, ValueType> BY_NAME =
      Stream.of(values()).collect(Collectors.toMap(ValueType::typeName, Function.identity()));

  private final String typeName;
  private final int tag;
  private final Schema.Type avroType;
  private final String parquetPhysical;
  private final String parquetLogical;
  private final String arrowType;
  private final String jsonType;
  private final ValueType element;

  ValueType(String typeName, int tag, Schema.Type avroType, String parquetPhysical,
            String parquetLogical, String arrowType, String jsonType) {
    this.typeName = typeName;
    this.tag = tag;
    this.avroType = avroType;
    this.parquetPhysical = parquetPhysical;
    this.parquetLogical = parquetLogical;
    this.arrowType = arrowType;
    this.jsonType = jsonType;
    this.element = null;
  }

  ValueType(ValueType element) {
    this.typeName = "LIST<" + element.typeName + ">";
    this.tag = 0x40 | element.tag;
    this.avroType = Schema.Type.ARRAY;
    this.parquetPhysical = "LIST(" + element.parquetPhysical + ")";
    this.parquetLogical = "LIST";
    this.arrowType = "List<" + element.arrowType + ">";
    this.jsonType = "array of " + element.jsonType;
    this.element = element;
  }

  /** The name used in YAML definitions: {@code INT64}, {@code LIST<FLOAT32>}. */
  public String typeName() {
    return typeName;
  }

  /** A one-byte tag, stable across releases, used by persisted formats (entity keys). */
  public int tag() {
    return tag;
  }

  public boolean isList() {
    return element != null;
  }

  /** The element type of a LIST type; empty for a scalar type. */
  public Optional<ValueType> elementType() {
    return Optional.ofNullable(element);
  }

  /** The Parquet physical type, e.g. {@code INT64} or {@code LIST(FLOAT)}. */
  public String parquetPhysicalType() {
    return parquetPhysical;
  }

  /** The Parquet logical type annotation, or null when none. */
  public String parquetLogicalType() {
    return parquetLogical;
  }

  /** The Arrow type, as Arrow prints it. */
  public String arrowType() {
    return arrowType;
  }

  /** The JSON representation used on the HTTP API. */
  public String jsonType() {
    return jsonType;
  }

  /** Whether a value of this type can serve as an entity join key. */
  public boolean isJoinKeyType() {
    return this == INT32 || this == INT64 || this == STRING || this == BYTES;
  }

  /**
   * Parses a type name as written in YAML: {@code INT64}, {@code LIST<FLOAT32>},
   * {@code FLOAT32_LIST} or {@code Array(Float32)}; case-insensitive.
   */
  public static Optional<ValueType> parse(String name) {
    if (name == null) {
      return Optional.empty();
    }
    String n = name.trim().toUpperCase(Locale.ROOT).replace(" ", "");
    if (n.startsWith("ARRAY(") && n.endsWith(")")) {
      n = "LIST<" + n.substring(6, n.length() - 1) + ">";
    }
    if (n.endsWith("_LIST")) {
      n = "LIST<" + n.substring(0, n.length() - 5) + ">";
    }
    n = n.replace("FLOAT<", "FLOAT32<").replace("DOUBLE", "FLOAT64").replace("<FLOAT>", "<FLOAT32>");
    if (n.equals("FLOAT")) {
      n = "FLOAT32";
    }
    if (n.equals("UNIX_TIMESTAMP")) {
      n = "TIMESTAMP";
    }
    if (n.equals("BOOLEAN")) {
      n = "BOOL";
    }
    n = n.replace("<UNIX_TIMESTAMP>", "<TIMESTAMP>").replace("<BOOLEAN>", "<BOOL>");
    return Optional.ofNullable(BY_NAME.get(n));
  }

  /** The Avro schema of a (non-null) value of this type. */
  public Schema avroSchema() {
    if (element != null) {
      return Schema.createArray(element.avroSchema());
    }
    Schema s = Schema.create(avroType);
    if (this == TIMESTAMP) {
      return LogicalTypes.timestampMicros().addToSchema(s);
    }
    return s;
  }

  /** Converts a value in its Java form (see the class comment) to its Avro generic form. */
  public Object toAvro(Object value) {
    if (value == null) {
      return null;
    }
    if (element != null) {
      List<?> in = (List<?>) value;
      List<Object> out = new ArrayList<>(in.size());
      for (Object o : in) {
        out.add(element.toAvro(o));
      }
      return out;
    }
    switch (this) {
      case BYTES:
        return ByteBuffer.wrap((byte[]) value);
      case TIMESTAMP:
        return Timestamps.toMicros((Instant) value);
      default:
        return value;
    }
  }

  /** Converts a value read by Avro (Utf8, ByteBuffer, GenericArray, micros) to its Java form. */
  public Object fromAvro(Object value) {
    if (value == null) {
      return null;
    }
    if (element != null) {
      List<Object> out = new ArrayList<>();
      for (Object o : (Iterable<?>) value) {
        out.add(element.fromAvro(o));
      }
      return List.copyOf(out);
    }
    switch (this) {
      case STRING:
        return value.toString();
      case BYTES:
        if (value instanceof byte[]) {
          return value;
        }
        ByteBuffer b = ((ByteBuffer) value).duplicate();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return bytes;
      case TIMESTAMP:
        if (value instanceof Instant) {
          return value;
        }
        return Timestamps.fromMicros(((Number) value).longValue());
      default:
        return value;
    }
  }

  /**
   * Converts a loosely typed value (a JSON number, a string, a boxed number of another width) to
   * this type's Java form.
   *
   * @throws IllegalArgumentException naming the expected type when the value does not fit
   */
  public Object coerce(Object value) {
    if (value == null) {
      return null;
    }
    if (element != null) {
      if (!(value instanceof List)) {
        throw new IllegalArgumentException("expected " + typeName + " but got " + describe(value));
      }
      List<Object> out = new ArrayList<>();
      for (Object o : (List<?>) value) {
        if (o == null) {
          throw new IllegalArgumentException("a " + typeName + " cannot hold null elements");
        }
        out.add(element.coerce(o));
      }
      return List.copyOf(out);
    }
    switch (this) {
      case BOOL:
        if (value instanceof Boolean) {
          return value;
        }
        if (value instanceof String && ("true".equalsIgnoreCase((String) value) || "false".equalsIgnoreCase((String) value))) {
          return Boolean.parseBoolean((String) value);
        }
        break;
      case INT32:
        if (isIntegral(value)) {
          long l = ((Number) value).longValue();
          if (l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
            return (int) l;
          }
          throw new IllegalArgumentException("value " + value + " is out of range for INT32");
        }
        if (value instanceof String) {
          try {
            return Integer.parseInt(((String) value).trim());
          } catch (NumberFormatException e) {
            break;
          }
        }
        break;
      case INT64:
        if (isIntegral(value)) {
          if (value instanceof java.math.BigInteger && ((java.math.BigInteger) value).bitLength() > 63) {
            throw new IllegalArgumentException("value " + value + " is out of range for INT64");
          }
          return ((Number) value).longValue();
        }
        if (value instanceof String) {
          try {
            return Long.parseLong(((String) value).trim());
          } catch (NumberFormatException e) {
            break;
          }
        }
        break;
      case FLOAT32:
        if (value instanceof Number) {
          return ((Number) value).floatValue();
        }
        if (value instanceof String) {
          try {
            return Float.parseFloat(((String) value).trim());
          } catch (NumberFormatException e) {
            break;
          }
        }
        break;
      case FLOAT64:
        if (value instanceof Number) {
          return ((Number) value).doubleValue();
        }
        if (value instanceof String) {
          try {
            return Double.parseDouble(((String) value).trim());
          } catch (NumberFormatException e) {
            break;
          }
        }
        break;
      case STRING:
        if (value instanceof CharSequence) {
          return value.toString();
        }
        break;
      case BYTES:
        if (value instanceof byte[]) {
          return value;
        }
        if (value instanceof ByteBuffer) {
          return fromAvro(value);
        }
        if (value instanceof String) {
          try {
            return Base64.getDecoder().decode((String) value);
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected base64 for BYTES but got " + describe(value));
          }
        }
        break;
      case TIMESTAMP:
        if (value instanceof Instant) {
          return inMicrosRange(Timestamps.truncateToMicros((Instant) value), value);
        }
        if (isIntegral(value)) {
          // A bare number is taken as epoch seconds, as Feast's JSON does.
          if (value instanceof java.math.BigInteger && ((java.math.BigInteger) value).bitLength() > 63) {
            throw new IllegalArgumentException("epoch seconds " + value + " are outside the range of "
                + "microsecond timestamps (" + Timestamps.MIN + " to " + Timestamps.MAX + ")");
          }
          long seconds = ((Number) value).longValue();
          if (seconds < Timestamps.MIN.getEpochSecond() || seconds > Timestamps.MAX.getEpochSecond()) {
            throw new IllegalArgumentException("epoch seconds " + value + " are outside the range of "
                + "microsecond timestamps (" + Timestamps.MIN + " to " + Timestamps.MAX + ")");
          }
          return inMicrosRange(Instant.ofEpochSecond(seconds), value);
        }
        if (value instanceof String) {
          Instant t;
          try {
            t = Timestamps.parse((String) value);
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected an ISO-8601 timestamp but got " + describe(value));
          }
          return inMicrosRange(t, value);
        }
        break;
      default:
        break;
    }
    throw new IllegalArgumentException("expected " + typeName + " but got " + describe(value));
  }

  private static Instant inMicrosRange(Instant t, Object given) {
    if (t.isBefore(Timestamps.MIN) || t.isAfter(Timestamps.MAX)) {
      throw new IllegalArgumentException("timestamp " + (given instanceof String ? "\"" + given + "\"" : given)
          + " is outside the range of microsecond timestamps (" + Timestamps.MIN + " to " + Timestamps.MAX + ")");
    }
    return t;
  }

  private static boolean isIntegral(Object v) {
    return v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte
        || v instanceof java.math.BigInteger;
  }

  private static String describe(Object v) {
    if (v instanceof String) {
      return "string \"" + v + "\"";
    }
    return v.getClass().getSimpleName().toLowerCase(Locale.ROOT) + " " + v;
  }

  @Override
  public String toString() {
    return typeName;
  }
}
