package dev.quiver.online.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** JSON to Java values of requests, Java values to JSON of responses (the registry's JSON column). */
final class JsonValues {
  private JsonValues() {}

  /**
   * A JSON value as a loosely typed Java value: integral numbers as Long (larger ones are
   * rejected), other numbers as Double, strings, booleans, arrays as lists, null as null.
   *
   * @throws HttpError naming {@code field} for an object
   */
  static Object toJava(JsonNode n, String field) {
    if (n == null || n.isNull()) {
      return null;
    }
    if (n.isIntegralNumber()) {
      if (!n.canConvertToLong()) {
        throw HttpError.badRequest("Cannot read " + field + ": " + n.asText() + " is out of the range of a 64-bit integer");
      }
      return n.longValue();
    }
    if (n.isNumber()) {
      return n.doubleValue();
    }
    if (n.isTextual()) {
      return n.textValue();
    }
    if (n.isBoolean()) {
      return n.booleanValue();
    }
    if (n.isArray()) {
      List<Object> out = new ArrayList<>(n.size());
      for (int i = 0; i < n.size(); i++) {
        out.add(toJava(n.get(i), field + "[" + i + "]"));
      }
      return out;
    }
    throw HttpError.badRequest("Cannot read " + field + ": expected a number, string, boolean or list but got an object");
  }

  /** Writes a value in its Java form (see {@link dev.quiver.registry.ValueType}) as JSON. */
  static void write(JsonGenerator g, Object v) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof Float f) {
      // as Feast's server: the float widened to double
      g.writeNumber(f.doubleValue());
    } else if (v instanceof Double d) {
      g.writeNumber(d);
    } else if (v instanceof Long l) {
      g.writeNumber(l);
    } else if (v instanceof Integer i) {
      g.writeNumber(i);
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof String s) {
      g.writeString(s);
    } else if (v instanceof byte[] b) {
      g.writeString(Base64.getEncoder().encodeToString(b));
    } else if (v instanceof Instant t) {
      g.writeString(t.toString());
    } else if (v instanceof List<?> list) {
      g.writeStartArray();
      for (Object o : list) {
        write(g, o);
      }
      g.writeEndArray();
    } else {
      g.writeString(v.toString());
    }
  }
}
