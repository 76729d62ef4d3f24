package dev.quiver.cli;

import dev.quiver.offline.internal.Column;
import dev.quiver.offline.internal.ParquetIo;
import dev.quiver.offline.internal.Table;
import dev.quiver.registry.ValueType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Writes the sample Parquet file the bundled {@code example/} repo's batch view
 * {@code driver_daily_stats} reads ({@code example/data/driver_daily/*.parquet}), with the
 * project's own Parquet writer (the one exports use: snappy, fixed settings, so the same bytes on
 * every run). Generated once and committed; {@code ExampleRepoTest} checks the committed file is
 * byte-identical to what this writes, and after changing the rows regenerates it with
 * <pre>
 * mvn -q -pl sdk -am test -Dtest=ExampleRepoTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dquiver.example.regenerate=true
 * </pre>
 *
 * <p>Rows: drivers 1001 to 1005, one per day from 2024-05-01 to 2024-05-03 at 00:00 UTC, created an
 * hour later; {@code trips_today}, {@code rating} and {@code recent_ratings} derived from the
 * driver and the day.
 */
final class ExampleData {
  static final Instant FIRST_DAY = Instant.parse("2024-05-01T00:00:00Z");
  static final int DAYS = 3;
  static final long[] DRIVERS = {1001, 1002, 1003, 1004, 1005};
  static final String FILE = "data/driver_daily/driver_daily_2024-05-01.parquet";

  private ExampleData() {}

  static Path write(Path repo) throws IOException {
    Column id = new Column("driver_id", ValueType.INT64, 16);
    Column ts = new Column("event_timestamp", ValueType.TIMESTAMP, 16);
    Column created = new Column("created", ValueType.TIMESTAMP, 16);
    Column trips = new Column("trips_today", ValueType.INT64, 16);
    Column rating = new Column("rating", ValueType.FLOAT64, 16);
    Column recent = new Column("recent_ratings", ValueType.FLOAT32_LIST, 16);
    int rows = 0;
    for (int day = 0; day < DAYS; day++) {
      Instant t = FIRST_DAY.plus(Duration.ofDays(day));
      for (long d : DRIVERS) {
        int i = (int) (d - 1000);
        id.addValue(d);
        ts.addValue(t);
        created.addValue(t.plus(Duration.ofHours(1)));
        trips.addValue(10L * i + day);
        rating.addValue(4.0 + (i + day) % 10 / 10.0);
        recent.addValue(List.of(4.5f, 4.0f + i / 10.0f, 5.0f - day / 10.0f));
        rows++;
      }
    }
    Path file = repo.resolve(FILE);
    Files.createDirectories(file.getParent());
    ParquetIo.write(file, new Table(List.of(id, ts, created, trips, rating, recent), rows));
    return file;
  }
}
