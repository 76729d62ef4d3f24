package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.online.FeatureStatus;
import dev.quiver.online.FeatureValue;
import dev.quiver.sdk.FeatureStore;
import dev.quiver.sdk.OnlineResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled {@code example/} repo works as shipped: {@code quiver apply -r example} then
 * {@code quiver materialize -r example --start --end} loads its sample Parquet file, and batch
 * ranges re-run over data already in the store change nothing while a second range adds only its
 * rows.
 */
class ExampleRepoTest {
  static final Path EXAMPLE = Path.of("").toAbsolutePath().getParent().resolve("example");
  static final List<String> REFS = List.of("driver_daily_stats:trips_today", "driver_daily_stats:rating",
      "driver_daily_stats:recent_ratings");
  static final Map<String, List<Object>> DRIVERS = Map.of("driver_id", List.of(1001L, 1002L, 1003L, 1004L, 1005L));
  /** A time within the 7 d ttl of every sample row. */
  static final Instant AT = Instant.parse("2024-05-04T00:00:00Z");

  @TempDir
  Path tmp;

  @Test
  void shouldShipTheSampleFileExampleDataWrites() throws Exception {
    Path committed = EXAMPLE.resolve(ExampleData.FILE);
    if (Boolean.getBoolean("quiver.example.regenerate")) {
      ExampleData.write(EXAMPLE);
    }
    Path fresh = ExampleData.write(tmp);
    assertThat(committed).exists();
    assertThat(Files.readAllBytes(committed)).isEqualTo(Files.readAllBytes(fresh));
  }

  /** A copy of example/ without any state a run may have left in it. */
  static Path copyOfExample(Path into) throws IOException {
    Path repo = into.resolve("example");
    try (Stream<Path> files = Files.walk(EXAMPLE)) {
      for (Path p : (Iterable<Path>) files.sorted(Comparator.naturalOrder())::iterator) {
        Path rel = EXAMPLE.relativize(p);
        if (rel.toString().startsWith(".quiver")) {
          continue;
        }
        Path to = repo.resolve(rel.toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else {
          Files.copy(p, to);
        }
      }
    }
    return repo;
  }

  @Test
  void shouldApplyAndMaterializeTheBundledExampleAndReRunRangesOverDataInTheStore() throws Exception {
    Path repo = copyOfExample(tmp);
    CliRun apply = CliRun.run("apply", "-r", repo.toString());
    assertThat(apply.code).as(apply.toString()).isZero();

    // the first day only
    CliRun day1 = CliRun.run("materialize", "-r", repo.toString(), "--start", "2024-05-01", "--end", "2024-05-02");
    assertThat(day1.code).as(day1.toString()).isZero();
    assertThat(day1.out).contains("driver_daily_stats: 5 events loaded");
    List<String> afterDay1 = online(repo);
    assertThat(afterDay1).hasSize(15).allSatisfy(v -> assertThat(v).contains("PRESENT at 2024-05-01T00:00:00Z"));
    assertThat(afterDay1.get(0)).isEqualTo("1001 trips_today 10 PRESENT at 2024-05-01T00:00:00Z");

    // the same range again over the data it wrote: nothing changes
    CliRun again = CliRun.run("materialize", "-r", repo.toString(), "--start", "2024-05-01", "--end", "2024-05-02");
    assertThat(again.code).as(again.toString()).isZero();
    assertThat(online(repo)).isEqualTo(afterDay1);

    // the next two days: only their rows are added, and the latest day wins
    CliRun rest = CliRun.run("materialize", "-r", repo.toString(), "--start", "2024-05-02", "--end", "2024-05-04");
    assertThat(rest.code).as(rest.toString()).isZero();
    assertThat(rest.out).contains("driver_daily_stats: 10 events loaded");
    List<String> afterAll = online(repo);
    assertThat(afterAll).allSatisfy(v -> assertThat(v).contains("PRESENT at 2024-05-03T00:00:00Z"));
    assertThat(afterAll.get(0)).isEqualTo("1001 trips_today 12 PRESENT at 2024-05-03T00:00:00Z");

    // an older range re-run after a newer one does not bring older values back
    CliRun older = CliRun.run("materialize", "-r", repo.toString(), "--start", "2024-05-01", "--end", "2024-05-02");
    assertThat(older.code).as(older.toString()).isZero();
    assertThat(online(repo)).isEqualTo(afterAll);
  }

  @Test
  void shouldSayAtServeWhichDefinitionsDifferFromTheRegistryAndStaySilentWhenTheyMatch() throws Exception {
    Path repo = copyOfExample(tmp);
    assertThat(CliRun.run("apply", "-r", repo.toString()).code).isZero();
    try (FeatureStore store = FeatureStore.open(repo)) {
      java.io.StringWriter err = new java.io.StringWriter();
      assertThat(ServeCommand.warnUnapplied(store, new java.io.PrintWriter(err))).isFalse();
      assertThat(err.toString()).isEmpty();

      Path defs = repo.resolve("driver.yaml");
      Files.writeString(defs, Files.readString(defs).replace("      - {name: avg_daily_trips, type: INT64}",
          "      - {name: avg_daily_trips, type: INT64}\n      - {name: rating, type: FLOAT64}"));
      assertThat(ServeCommand.warnUnapplied(store, new java.io.PrintWriter(err))).isTrue();
      assertThat(err.toString()).isEqualTo("The definitions in " + repo + " differ from the registry (version 1), "
          + "which is what is served: ~ feature view driver_hourly_stats.\n"
          + "See the changes with `quiver plan -r " + repo + "` and apply them with `quiver apply -r " + repo
          + "` (serve picks the new registry up).\n");
    }
  }

  /** Every driver's three daily features at {@link #AT}, one line each: driver, feature, value, status, time. */
  static List<String> online(Path repo) {
    try (FeatureStore store = FeatureStore.open(repo)) {
      OnlineResult r = store.getOnlineFeatures(REFS, DRIVERS, AT, false);
      List<String> out = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        for (int j = 0; j < REFS.size(); j++) {
          FeatureValue v = r.value(i, j);
          out.add(DRIVERS.get("driver_id").get(i) + " " + REFS.get(j).substring(REFS.get(j).indexOf(':') + 1) + " "
              + v.value() + " " + v.status() + (v.status() == FeatureStatus.NOT_FOUND ? "" : " at " + v.eventTime()));
        }
      }
      return out;
    }
  }
}
