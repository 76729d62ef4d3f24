package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code quiver export} as glue over the export: its outputs and its exit codes for bad input. */
class ExportCommandTest {
  @TempDir
  Path tmp;

  Path repo;
  Path spine;

  @BeforeEach
  void initAndApply() {
    repo = tmp.resolve("demo");
    CliRun.initAndApply(repo);
    spine = repo.resolve("data/driver_spine.csv");
  }

  @Test
  void shouldExportTheSpineWithItsFeaturesAndReplayItIdentically() {
    Path out = tmp.resolve("train.csv");
    CliRun run = CliRun.run("export", "-r", repo.toString(), "--spine", spine.toString(), "--service", "driver_ranking",
        "--out", out.toString(), "--format", "csv", "--full-feature-names");
    assertThat(run.code).as(run.toString()).isZero();
    assertThat(run.out).contains("Wrote 21 rows (driver_id, event_timestamp, trip_completed, "
        + "driver_hourly_stats__conv_rate, driver_hourly_stats__acc_rate, driver_hourly_stats__avg_daily_trips)");
    assertThat(out).exists();
    Path manifest = tmp.resolve("train.csv.manifest.json");
    assertThat(manifest).exists();

    CliRun replay = CliRun.run("export", "-r", repo.toString(), "--replay", manifest.toString());
    assertThat(replay.code).as(replay.toString()).isZero();
    assertThat(replay.out).contains("identical output");
  }

  @Test
  void shouldExitTwoNamingFileAndColumnWhenTheSpineLacksAJoinKey() throws Exception {
    Path bad = Files.writeString(tmp.resolve("bad.csv"), "rider_id,event_timestamp\n1,2024-05-01T10:00:00Z\n");
    CliRun run = CliRun.run("export", "-r", repo.toString(), "--spine", bad.toString(), "--service", "driver_ranking",
        "--out", tmp.resolve("o.parquet").toString());
    assertThat(run.code).as(run.toString()).isEqualTo(2);
    assertThat(run.err).contains(bad.toString()).contains("driver_id");
    assertThat(tmp.resolve("o.parquet")).doesNotExist();
  }

  @Test
  void shouldExitTwoForAnUnknownFeatureOrService() {
    CliRun feature = CliRun.run("export", "-r", repo.toString(), "--spine", spine.toString(),
        "--features", "driver_hourly_stats:speed", "--out", tmp.resolve("o.parquet").toString());
    assertThat(feature.code).as(feature.toString()).isEqualTo(2);
    assertThat(feature.err).contains("speed");

    CliRun service = CliRun.run("export", "-r", repo.toString(), "--spine", spine.toString(),
        "--service", "fraud_model", "--out", tmp.resolve("o.parquet").toString());
    assertThat(service.code).as(service.toString()).isEqualTo(2);
    assertThat(service.err).contains("fraud_model");
  }

  @Test
  void shouldExitTwoForMissingOrConflictingOptions() {
    CliRun neither = CliRun.run("export", "-r", repo.toString(), "--spine", spine.toString(), "--out", "o.parquet");
    assertThat(neither.code).isEqualTo(2);
    assertThat(neither.err.strip()).isEqualTo("Cannot export: give either --features or --service");

    CliRun noOut = CliRun.run("export", "-r", repo.toString(), "--spine", spine.toString(), "--service", "driver_ranking");
    assertThat(noOut.code).isEqualTo(2);
    assertThat(noOut.err).contains("give --spine and --out");

    CliRun format = CliRun.run("export", "-r", repo.toString(), "--spine", spine.toString(), "--service",
        "driver_ranking", "--out", tmp.resolve("o.x").toString(), "--format", "excel");
    assertThat(format.code).isEqualTo(2);
    assertThat(format.err).contains("Cannot parse export format: \"excel\"");

    CliRun replay = CliRun.run("export", "-r", repo.toString(), "--replay", tmp.resolve("nope.json").toString());
    assertThat(replay.code).isEqualTo(2);
    assertThat(replay.err).contains("Cannot replay export: manifest " + tmp.resolve("nope.json") + " does not exist");
  }

  @Test
  void shouldExitTwoNamingVersionAndFeatureForAPinnedReferenceAfterAWidening() throws Exception {
    String[] export = {"export", "-r", repo.toString(), "--spine", spine.toString(),
        "--features", "driver_hourly_stats@v1:conv_rate", "--out", tmp.resolve("pinned.parquet").toString()};
    CliRun before = CliRun.run(export);
    assertThat(before.code).as(before.toString()).isZero();

    Path defs = repo.resolve(InitCommand.DEFINITIONS);
    Files.writeString(defs, Files.readString(defs).replace("{name: conv_rate, type: FLOAT32}",
        "{name: conv_rate, type: FLOAT64}"));
    CliRun apply = CliRun.run("apply", "-r", repo.toString());
    assertThat(apply.code).as(apply.toString()).isZero();

    CliRun after = CliRun.run(export);
    assertThat(after.code).as(after.toString()).isEqualTo(2);
    assertThat(after.err.strip()).isEqualTo("Cannot resolve feature driver_hourly_stats@v1:conv_rate: it is FLOAT32 in v1"
        + " but FLOAT64 in v2, and values stored since v2 cannot be read as v1; ask for driver_hourly_stats:conv_rate"
        + " (the current version v2, FLOAT64)");
  }
}
