package dev.quiver.sdk.internal;

import dev.quiver.registry.Timestamps;
import dev.quiver.registry.UserInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.io.LocalInputFile;

/**
 * Reads rows of a CSV or Parquet file as maps of column name to value. CSV values are strings
 * (an empty field is null) for {@link dev.quiver.registry.ValueType#coerce} to type; Parquet
 * values are Java values (strings, boxed numbers, {@link java.time.Instant} for timestamps,
 * lists, byte arrays).
 */
public final class RowFiles {
  private RowFiles() {}

  /** Whether the file is read as CSV (its name ends in {@code .csv}). */
  public static boolean isCsv(Path file) {
    return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".csv");
  }

  /** Every row of the file. */
  public static List<Map<String, Object>> read(Path file) {
    List<Map<String, Object>> rows = new ArrayList<>();
    forEach(file, rows::add);
    return rows;
  }

  /**
   * Calls {@code sink} with each row, in file order.
   *
   * @throws UserInputException naming the file when it is missing or unreadable
   */
  public static void forEach(Path file, Consumer<Map<String, Object>> sink) {
    if (!Files.isRegularFile(file)) {
      throw new UserInputException("Cannot read rows from " + file + ": no such file");
    }
    try {
      if (isCsv(file)) {
        readCsv(file, sink);
      } else {
        readParquet(file, sink);
      }
    } catch (NoSuchFileException e) {
      throw new UserInputException("Cannot read rows from " + file + ": no such file");
    } catch (IOException | RuntimeException e) {
      if (e instanceof UserInputException) {
        throw (UserInputException) e;
      }
      throw new UserInputException("Cannot read rows from " + file + ": " + e.getMessage()
          + (isCsv(file) ? "" : " (is it a Parquet file? use a .csv name for CSV)"), e);
    }
  }

  private static void readCsv(Path file, Consumer<Map<String, Object>> sink) throws IOException {
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String headerLine = r.readLine();
      if (headerLine == null) {
        throw new UserInputException("Cannot read rows from " + file + ": the file is empty (expected a header line)");
      }
      if (headerLine.startsWith("\uFEFF")) {
        headerLine = headerLine.substring(1);
      }
      List<String> header = splitCsv(headerLine, file, 1);
      String line;
      int lineNo = 1;
      while ((line = r.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        List<String> fields = splitCsv(line, file, lineNo);
        if (fields.size() != header.size()) {
          throw new UserInputException("Cannot read rows from " + file + ": line " + lineNo + " has "
              + fields.size() + " fields but the header has " + header.size());
        }
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < header.size(); i++) {
          String v = fields.get(i);
          row.put(header.get(i), v.isEmpty() ? null : v);
        }
        sink.accept(row);
      }
    }
  }

  /** Splits one CSV line (RFC 4180 quoting within the line). */
  static List<String> splitCsv(String line, Path file, int lineNo) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"') {
          if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
            cur.append('"');
            i++;
          } else {
            quoted = false;
          }
        } else {
          cur.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        out.add(cur.toString().trim());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    if (quoted) {
      throw new UserInputException("Cannot read rows from " + file + ": line " + lineNo + " has an unclosed quote");
    }
    out.add(cur.toString().trim());
    return out;
  }

  private static void readParquet(Path file, Consumer<Map<String, Object>> sink) throws IOException {
    try (ParquetReader<GenericRecord> reader = AvroParquetReader.<GenericRecord>builder(new LocalInputFile(file))
        .build()) {
      GenericRecord rec;
      while ((rec = reader.read()) != null) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (Schema.Field f : rec.getSchema().getFields()) {
          row.put(f.name(), toJava(rec.get(f.pos()), f.schema()));
        }
        sink.accept(row);
      }
    }
  }

  /** An Avro value read from Parquet as a plain Java value. */
  public static Object toJava(Object v, Schema s) {
    if (v == null) {
      return null;
    }
    if (s.getType() == Schema.Type.UNION) {
      for (Schema branch : s.getTypes()) {
        if (branch.getType() != Schema.Type.NULL) {
          return toJava(v, branch);
        }
      }
    }
    LogicalType lt = s.getLogicalType();
    if (v instanceof Long l && lt != null) {
      if (lt instanceof LogicalTypes.TimestampMicros || lt instanceof LogicalTypes.LocalTimestampMicros) {
        return Timestamps.fromMicros(l);
      }
      if (lt instanceof LogicalTypes.TimestampMillis || lt instanceof LogicalTypes.LocalTimestampMillis) {
        return java.time.Instant.ofEpochMilli(l);
      }
      if (lt instanceof LogicalTypes.TimestampNanos || lt instanceof LogicalTypes.LocalTimestampNanos) {
        return java.time.Instant.ofEpochSecond(Math.floorDiv(l, 1_000_000_000L), Math.floorMod(l, 1_000_000_000L));
      }
    }
    if (v instanceof CharSequence) {
      return v.toString();
    }
    if (v instanceof ByteBuffer b) {
      byte[] out = new byte[b.remaining()];
      b.duplicate().get(out);
      return out;
    }
    if (v instanceof java.util.Collection<?> c) {
      List<Object> out = new ArrayList<>(c.size());
      Schema elem = s.getType() == Schema.Type.ARRAY ? s.getElementType() : s;
      for (Object o : c) {
        out.add(toJava(o, elem));
      }
      return out;
    }
    if (v instanceof GenericRecord r && r.getSchema().getFields().size() == 1) {
      // parquet's 3-level list element wrapper
      return toJava(r.get(0), r.getSchema().getFields().get(0).schema());
    }
    return v;
  }
}
