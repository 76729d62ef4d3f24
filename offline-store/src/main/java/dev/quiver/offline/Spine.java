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
