package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Help, option errors and exit codes of init, serve, push, get, export, materialize, check-consistency. */
class SdkCommandsTest {
  @TempDir
  Path tmp;

  @Test
  void shouldPrintUsageWithExamplesForEveryCommand() {
    for (String command : new String[] {"init", "serve", "push", "get", "export", "materialize", "check-consistency"}) {
      CliRun help = CliRun.run(command, "--help");
      assertThat(help.code).as(command).isZero();
      assertThat(help.out).as(command).contains("Usage: quiver " + command).contains("Examples:");
    }
    assertThat(CliRun.run("--help").out).contains("init", "serve", "push", "check-consistency");
  }

  @Test
  void shouldLookUpInProcessWhenNothingServesAndShowStatuses() {
    Path repo = tmp.resolve("demo");
    CliRun.initAndApply(repo);
    CliRun get = CliRun.run("get", "-r", repo.toString(), "--service", "driver_ranking",
        "--entity", "driver_id=1001", "--entity", "driver_id=1002");
    assertThat(get.code).as(get.toString()).isZero();
    assertThat(get.out.lines()).containsExactly(
        "driver_id  conv_rate    acc_rate     avg_daily_trips",
        "1001       (NOT_FOUND)  (NOT_FOUND)  (NOT_FOUND)",
        "1002       (NOT_FOUND)  (NOT_FOUND)  (NOT_FOUND)");
  }

  @Test
  void shouldExitTwoForBadLookupInput() {
    Path repo = tmp.resolve("demo");
    CliRun.initAndApply(repo);
    CliRun badEntity = CliRun.run("get", "-r", repo.toString(), "--service", "driver_ranking", "--entity", "1001");
    assertThat(badEntity.code).isEqualTo(2);
    assertThat(badEntity.err).contains("Cannot read --entity \"1001\": expected KEY=VALUE");

    CliRun badKey = CliRun.run("get", "-r", repo.toString(), "--service", "driver_ranking", "--entity", "driver_id=abc");
    assertThat(badKey.code).isEqualTo(2);
    assertThat(badKey.err).contains("entities.driver_id[0]").contains("abc");

    CliRun unknown = CliRun.run("get", "-r", repo.toString(), "--service", "fraud", "--entity", "driver_id=1");
    assertThat(unknown.code).isEqualTo(2);
    assertThat(unknown.err).contains("fraud");

    CliRun both = CliRun.run("get", "-r", repo.toString(), "--service", "s", "--features", "v:f", "--entity", "a=1");
    assertThat(both.code).isEqualTo(2);
  }

  @Test
  void shouldExitTwoWhenPushingABadRowOrWithoutABroker() throws Exception {
    Path repo = tmp.resolve("demo");
    CliRun.initAndApply(repo);
    Path bad = Files.writeString(tmp.resolve("bad.csv"), """
        driver_id,event_timestamp,conv_rate
        1001,2024-05-01T10:00:00Z,0.5
        1002,2024-05-01T10:00:00Z,fast
        """);
    CliRun push = CliRun.run("push", "-r", repo.toString(), "--view", "driver_hourly_stats", "--file", bad.toString());
    assertThat(push.code).isEqualTo(2);
    assertThat(push.err.strip()).isEqualTo("Cannot push row 1 to feature view driver_hourly_stats: column conv_rate: "
        + "expected FLOAT32 but got string \"fast\"");

    CliRun noBroker = CliRun.run("push", "-r", repo.toString(), "--view", "driver_hourly_stats",
        "--file", repo.resolve("data/driver_stats.csv").toString());
    assertThat(noBroker.code).isEqualTo(2);
    assertThat(noBroker.err).contains("no `quiver serve` is running");

    CliRun missing = CliRun.run("push", "-r", repo.toString(), "--view", "driver_hourly_stats", "--file", "nope.csv");
    assertThat(missing.code).isEqualTo(2);
    assertThat(missing.err).contains("Cannot read rows from nope.csv: no such file");
  }

  @Test
  void shouldExitTwoForABadMaterializeRange() {
    Path repo = tmp.resolve("demo");
    CliRun.initAndApply(repo);
    CliRun neither = CliRun.run("materialize", "-r", repo.toString());
    assertThat(neither.code).isEqualTo(2);
    assertThat(neither.err).contains("give either --stream or --start and --end");

    CliRun reversed = CliRun.run("materialize", "-r", repo.toString(), "--start", "2024-05-02", "--end", "2024-05-01");
    assertThat(reversed.code).isEqualTo(2);
    assertThat(reversed.err).contains("is not before end");

    CliRun badTime = CliRun.run("materialize", "-r", repo.toString(), "--start", "yesterday", "--end", "2024-05-01");
    assertThat(badTime.code).isEqualTo(2);
    assertThat(badTime.err).contains("Cannot parse --start \"yesterday\"");

    CliRun empty = CliRun.run("materialize", "-r", repo.toString(), "--start", "2024-05-01", "--end", "2024-05-02");
    assertThat(empty.code).as(empty.toString()).isZero();
    assertThat(empty.out).contains("driver_hourly_stats: 0 events loaded");
  }

  @Test
  void shouldReportNoEntitiesAndExitZeroBeforeAnyData() {
    Path repo = tmp.resolve("demo");
    CliRun.initAndApply(repo);
    CliRun check = CliRun.run("check-consistency", "-r", repo.toString());
    assertThat(check.code).as(check.toString()).isZero();
    assertThat(check.out).contains("driver_hourly_stats: 0 entities (no data in either store yet)");

    CliRun unknown = CliRun.run("check-consistency", "-r", repo.toString(), "--views", "nope");
    assertThat(unknown.code).isEqualTo(2);
    assertThat(unknown.err).contains("nope");
  }
}
