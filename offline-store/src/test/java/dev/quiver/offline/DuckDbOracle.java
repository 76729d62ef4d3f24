package dev.quiver.offline;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** The independent oracle: the point-in-time join written as a DuckDB window query over the same files. */
final class DuckDbOracle implements AutoCloseable {
  final Connection conn;

  DuckDbOracle() throws Exception {
    conn = DriverManager.getConnection("jdbc:duckdb:");
  }

  /** One view: the SQL selecting (k, ets, cts, p, o, features...) of its history. */
  record ViewSql(String name, String keyColumn, long ttlMicros, List<String> features, String historySql) {}

  static ViewSql storeView(Path storeRoot, String view, String key, long ttlMicros, List<String> feats) {
    String glob = storeRoot.resolve(view).toString() + "/**/*.parquet";
    return new ViewSql(view, key, ttlMicros, feats, "SELECT " + key + " AS k, event_timestamp AS ets, "
        + "created_timestamp AS cts, _partition AS p, _offset AS o, " + String.join(", ", feats)
        + " FROM read_parquet('" + glob + "', union_by_name = true)");
  }

  static ViewSql sourceView(String glob, String view, String key, String ts, String created, long ttlMicros,
                            List<String> feats) {
    return new ViewSql(view, key, ttlMicros, feats, "SELECT " + key + " AS k, " + ts + " AS ets, " + created
        + " AS cts, (dense_rank() OVER (ORDER BY filename) - 1)::INTEGER AS p, file_row_number AS o, "
        + String.join(", ", feats) + " FROM read_parquet('" + glob + "', filename = true, file_row_number = true)");
  }

  /**
   * Rows of the expected output: every spine column, then each view's features, picked by
   * ROW_NUMBER over the spine row ordered by (event_ts, created_ts nulls smallest, partition,
   * offset) descending among event_ts in [t - ttl, t] (and created_ts &lt;= asOf).
   */
  List<List<Object>> expected(Path spine, String tsColumn, List<ViewSql> views, Long asOfMicros) throws Exception {
    try (Statement st = conn.createStatement()) {
      st.execute("CREATE OR REPLACE TABLE spine AS SELECT file_row_number AS rid, * EXCLUDE (file_row_number) "
          + "FROM read_parquet('" + spine + "', file_row_number = true)");
    }
    StringBuilder sql = new StringBuilder("SELECT s.* EXCLUDE (rid)");
    StringBuilder from = new StringBuilder(" FROM spine s");
    int i = 0;
    for (ViewSql v : views) {
      String a = "v" + i++;
      for (String f : v.features()) {
        sql.append(", ").append(a).append(".").append(f);
      }
      String cond = "h.k = s." + v.keyColumn() + " AND h.ets <= s." + tsColumn;
      if (v.ttlMicros() > 0) {
        cond += " AND h.ets >= s." + tsColumn + " - to_microseconds(" + v.ttlMicros() + ")";
      }
      if (asOfMicros != null) {
        cond += " AND (h.cts IS NULL OR h.cts <= make_timestamptz(" + asOfMicros + "))";
      }
      from.append(" LEFT JOIN (SELECT rid, ").append(String.join(", ", v.features())).append(" FROM (")
          .append("SELECT s.rid, h.*, ROW_NUMBER() OVER (PARTITION BY s.rid ORDER BY h.ets DESC, h.cts DESC NULLS LAST, "
              + "h.p DESC, h.o DESC) AS rn FROM spine s LEFT JOIN (").append(v.historySql()).append(") h ON ")
          .append(cond).append(") WHERE rn = 1) ").append(a).append(" ON ").append(a).append(".rid = s.rid");
    }
    return rows(sql + from.toString() + " ORDER BY s.rid");
  }

  /** The rows of a Parquet file, in file order. */
  List<List<Object>> parquetRows(Path file) throws Exception {
    return rows("SELECT * EXCLUDE (file_row_number) FROM read_parquet('" + file
        + "', file_row_number = true) ORDER BY file_row_number");
  }

  List<String> parquetColumns(Path file) throws Exception {
    List<String> names = new ArrayList<>();
    try (Statement st = conn.createStatement();
         ResultSet rs = st.executeQuery("DESCRIBE SELECT * FROM read_parquet('" + file + "')")) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    return names;
  }

  List<List<Object>> rows(String sql) throws Exception {
    List<List<Object>> out = new ArrayList<>();
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<Object> row = new ArrayList<>(n);
        for (int c = 1; c <= n; c++) {
          Object o = rs.getObject(c);
          row.add(o instanceof java.time.OffsetDateTime odt ? odt.toInstant() : o);
        }
        out.add(row);
      }
    }
    return out;
  }

  @Override
  public void close() throws Exception {
    conn.close();
  }
}
