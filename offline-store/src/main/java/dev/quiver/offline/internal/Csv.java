package dev.quiver.offline.internal;

import dev.quiver.registry.Timestamps;
import dev.quiver.registry.ValueType;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** RFC 4180 CSV reading (spines) and writing (exports). */
public final class Csv {
  private Csv() {}

  /** A value of a CSV cell that cannot be converted; names column and line. */
  public static final class CellException extends RuntimeException {
    public final String column;

    CellException(String column, String message) {
      super(message);
      this.column = column;
    }
  }

  /** Reads the header: the column names. */
  public static List<String> header(Reader in) throws IOException {
    BufferedReader r = new BufferedReader(in);
    List<String> h = record(r);
    return h == null ? List.of() : h;
  }

  /**
   * Reads a CSV with a header; columns in {@code types} get that type (empty cell = null), the
   * others are kept as STRING text.
   */
  public static Table read(Reader in, Map<String, ValueType> types) throws IOException {
    Chunks c = new Chunks(in, types);
    if (c.header == null) {
      return new Table();
    }
    Table t = c.next(Integer.MAX_VALUE);
    return t == null ? c.empty() : t;
  }

  /** Reads a CSV with a header in chunks of rows, typed as {@link #read(Reader, Map)}. */
  public static final class Chunks {
    private final BufferedReader r;
    private final Map<String, ValueType> types;
    /** The column names; null for an empty file. */
    public final List<String> header;
    private int line = 1;

    public Chunks(Reader in, Map<String, ValueType> types) throws IOException {
      this.r = new BufferedReader(in, 1 << 16);
      this.types = types;
      this.header = record(r);
    }

    /** A table of the header's columns and no rows. */
    public Table empty() {
      List<Column> cols = new ArrayList<>();
      for (String h : header) {
        cols.add(new Column(h, types.getOrDefault(h, ValueType.STRING), 0));
      }
      return new Table(cols, 0);
    }

    /** The next at most {@code maxRows} rows, or null at the end. */
    public Table next(int maxRows) throws IOException {
      if (header == null) {
        return null;
      }
      List<Column> cols = new ArrayList<>();
      for (String h : header) {
        cols.add(new Column(h, types.getOrDefault(h, ValueType.STRING), Math.min(maxRows, 1024)));
      }
      int rows = 0;
      List<String> rec;
      while (rows < maxRows && (rec = record(r)) != null) {
        line++;
        if (rec.size() == 1 && rec.get(0).isEmpty()) {
          continue;
        }
        if (rec.size() != header.size()) {
          throw new CellException(null, "line " + line + " has " + rec.size() + " fields, the header has " + header.size());
        }
        for (int i = 0; i < rec.size(); i++) {
          Column c = cols.get(i);
          String cell = rec.get(i);
          if (c.type == ValueType.STRING && !types.containsKey(c.name)) {
            c.addObj(cell);
            continue;
          }
          if (cell.isEmpty()) {
            c.addNull();
            continue;
          }
          try {
            c.addValue(cell);
          } catch (IllegalArgumentException e) {
            throw new CellException(c.name, "column " + c.name + " line " + line + ": " + e.getMessage());
          }
        }
        rows++;
      }
      return rows == 0 ? null : new Table(cols, rows);
    }
  }

  private static List<String> record(BufferedReader r) throws IOException {
    int ch = r.read();
    if (ch < 0) {
      return null;
    }
    List<String> out = new ArrayList<>();
    StringBuilder sb = new StringBuilder();
    boolean quoted = false;
    boolean wasQuoted = false;
    while (true) {
      if (ch < 0) {
        out.add(sb.toString());
        return out;
      }
      char c = (char) ch;
      if (quoted) {
        if (c == '"') {
          r.mark(1);
          int next = r.read();
          if (next == '"') {
            sb.append('"');
          } else {
            quoted = false;
            if (next >= 0) {
              r.reset();
            }
          }
        } else {
          sb.append(c);
        }
      } else if (c == '"' && sb.length() == 0 && !wasQuoted) {
        quoted = true;
        wasQuoted = true;
      } else if (c == ',') {
        out.add(sb.toString());
        sb.setLength(0);
        wasQuoted = false;
      } else if (c == '\n') {
        out.add(sb.toString());
        return out;
      } else if (c != '\r') {
        sb.append(c);
      }
      ch = r.read();
    }
  }

  /** Writes a table as CSV with a header; null is an empty cell, an empty string is {@code ""}. */
  public static void write(Writer w0, Table t) throws IOException {
    BufferedWriter w = new BufferedWriter(w0, 1 << 16);
    writeHeader(w, t.columns());
    writeRows(w, t);
    w.flush();
  }

  /** As {@link #write(Writer, Table)}, the table given in consecutive chunks; closes {@code w0}. */
  public static TableSink sink(Writer w0, List<Column> schemaCols) throws IOException {
    BufferedWriter w = new BufferedWriter(w0, 1 << 16);
    writeHeader(w, schemaCols);
    return new TableSink() {
      @Override
      public void write(Table chunk) throws IOException {
        writeRows(w, chunk);
      }

      @Override
      public void close() throws IOException {
        w.close();
      }
    };
  }

  private static void writeHeader(Writer w, List<Column> cols) throws IOException {
    for (int c = 0; c < cols.size(); c++) {
      if (c > 0) {
        w.write(',');
      }
      w.write(quote(cols.get(c).name));
    }
    w.write('\n');
  }

  private static void writeRows(Writer w, Table t) throws IOException {
    List<Column> cols = t.columns();
    for (int r = 0; r < t.rows(); r++) {
      for (int c = 0; c < cols.size(); c++) {
        if (c > 0) {
          w.write(',');
        }
        Column col = cols.get(c);
        if (!col.isNull(r)) {
          w.write(text(col, r));
        }
      }
      w.write('\n');
    }
  }

  private static String text(Column col, int r) {
    return switch (col.type) {
      case BOOL -> col.ints[r] != 0 ? "true" : "false";
      case INT32 -> Integer.toString(col.ints[r]);
      case FLOAT32 -> Float.toString(Float.intBitsToFloat(col.ints[r]));
      case INT64 -> Long.toString(col.longs[r]);
      case FLOAT64 -> Double.toString(Double.longBitsToDouble(col.longs[r]));
      case TIMESTAMP -> Timestamps.fromMicros(col.longs[r]).toString();
      case STRING -> quote((String) col.objs[r]);
      case BYTES -> Base64.getEncoder().encodeToString((byte[]) col.objs[r]);
      default -> quote(listText((List<?>) col.objs[r]));
    };
  }

  private static String listText(List<?> l) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < l.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      Object o = l.get(i);
      if (o instanceof byte[] b) {
        sb.append(Base64.getEncoder().encodeToString(b));
      } else {
        sb.append(o);
      }
    }
    return sb.append(']').toString();
  }

  static String quote(String s) {
    if (s.isEmpty()) {
      return "\"\"";
    }
    boolean need = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == ',' || c == '"' || c == '\n' || c == '\r') {
        need = true;
        break;
      }
    }
    return need ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }
}
