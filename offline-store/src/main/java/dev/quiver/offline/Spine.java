package dev.quiver.offline;

import dev.quiver.offline.internal.Column;
import dev.quiver.offline.internal.Table;
import dev.quiver.registry.UserInputException;
import dev.quiver.registry.ValueType;
import java.util.ArrayList;
import java.util.List;

/**
 * A spine built in Java: typed columns and rows of values in their Java form (see
 * {@link ValueType}; a TIMESTAMP column takes {@link java.time.Instant}s).
 */
public final class Spine {
  final Table table;

  private Spine(Table table) {
    this.table = table;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * A spine from Arrow vectors (copied): integer, floating-point, bool, Utf8, binary and
   * timestamp (any unit, with or without time zone; taken as UTC) columns.
   *
   * @throws UserInputException naming the column of an unsupported type
   */
  public static Spine fromArrow(org.apache.arrow.vector.VectorSchemaRoot root) {
    List<Column> cols = new ArrayList<>();
    int n = root.getRowCount();
    for (org.apache.arrow.vector.FieldVector v : root.getFieldVectors()) {
      String name = v.getName();
      org.apache.arrow.vector.types.pojo.ArrowType t = v.getField().getType();
      ValueType vt;
      long tsFactor = 0;
      boolean tsDivide = false;
      if (t instanceof org.apache.arrow.vector.types.pojo.ArrowType.Int i) {
        vt = i.getBitWidth() == 64 ? ValueType.INT64 : ValueType.INT32;
      } else if (t instanceof org.apache.arrow.vector.types.pojo.ArrowType.FloatingPoint fp) {
        vt = fp.getPrecision() == org.apache.arrow.vector.types.FloatingPointPrecision.DOUBLE ? ValueType.FLOAT64 : ValueType.FLOAT32;
      } else if (t instanceof org.apache.arrow.vector.types.pojo.ArrowType.Bool) {
        vt = ValueType.BOOL;
      } else if (t instanceof org.apache.arrow.vector.types.pojo.ArrowType.Utf8) {
        vt = ValueType.STRING;
      } else if (t instanceof org.apache.arrow.vector.types.pojo.ArrowType.Binary) {
        vt = ValueType.BYTES;
      } else if (t instanceof org.apache.arrow.vector.types.pojo.ArrowType.Timestamp ts) {
        vt = ValueType.TIMESTAMP;
        switch (ts.getUnit()) {
          case SECOND -> tsFactor = 1_000_000;
          case MILLISECOND -> tsFactor = 1_000;
          case MICROSECOND -> tsFactor = 1;
          default -> {
            tsFactor = 1_000;
            tsDivide = true;
          }
        }
      } else {
        throw new UserInputException("Cannot read Arrow spine column " + name + ": unsupported type " + t);
      }
      Column c = new Column(name, vt, n);
      for (int r = 0; r < n; r++) {
        if (v.isNull(r)) {
          c.addNull();
          continue;
        }
        if (vt == ValueType.TIMESTAMP) {
          long raw = ((org.apache.arrow.vector.TimeStampVector) v).get(r);
          c.addLong(tsDivide ? Math.floorDiv(raw, tsFactor) : raw * tsFactor);
        } else {
          Object o = v.getObject(r);
          if (o instanceof org.apache.arrow.vector.util.Text text) {
            o = text.toString();
          } else if (o instanceof Short || o instanceof Byte) {
            o = ((Number) o).intValue();
          }
          c.addValue(o);
        }
      }
      cols.add(c);
    }
    return new Spine(new Table(cols, n));
  }

  public int rows() {
    return table.rows();
  }

  public static final class Builder {
    private final List<Column> cols = new ArrayList<>();
    private int rows;

    public Builder withColumn(String name, ValueType type) {
      if (rows > 0) {
        throw new IllegalStateException("Cannot add spine column " + name + ": rows were already added");
      }
      for (Column c : cols) {
        if (c.name.equals(name)) {
          throw new UserInputException("Cannot add spine column " + name + ": it already exists");
        }
      }
      cols.add(new Column(name, type, 16));
      return this;
    }

    /** Adds a row; values in column order, null for no value. */
    public Builder addRow(Object... values) {
      if (values.length != cols.size()) {
        throw new UserInputException("Cannot add spine row " + rows + ": expected " + cols.size()
            + " values but got " + values.length);
      }
      for (int i = 0; i < values.length; i++) {
        try {
          cols.get(i).addValue(values[i]);
        } catch (IllegalArgumentException e) {
          throw new UserInputException("Cannot add spine row " + rows + ": column " + cols.get(i).name + ": "
              + e.getMessage());
        }
      }
      rows++;
      return this;
    }

    public Spine build() {
      return new Spine(new Table(cols, rows));
    }
  }
}
