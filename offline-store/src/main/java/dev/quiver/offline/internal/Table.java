package dev.quiver.offline.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Named columns of equal length, in order. */
public final class Table {
  private final Map<String, Column> columns = new LinkedHashMap<>();
  private int rows;

  public Table() {}

  public Table(List<Column> cols, int rows) {
    for (Column c : cols) {
      columns.put(c.name, c);
    }
    this.rows = rows;
  }

  public void addAll(List<Column> cs) {
    cs.forEach(this::add);
  }

  public void add(Column c) {
    columns.put(c.name, c);
    rows = Math.max(rows, c.size);
  }

  public Column column(String name) {
    return columns.get(name);
  }

  public boolean has(String name) {
    return columns.containsKey(name);
  }

  public List<Column> columns() {
    return new ArrayList<>(columns.values());
  }

  public int rows() {
    return rows;
  }

  public void setRows(int rows) {
    this.rows = rows;
  }
}
