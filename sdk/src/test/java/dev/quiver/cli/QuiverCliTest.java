package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.registry.LocalFileRegistryStore;
import dev.quiver.registry.RegistryCodec;
import dev.quiver.registry.RegistrySnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI run in-process: output, error lines and exit codes as a user sees them. */
class QuiverCliTest {
  private static final Instant T1 = Instant.parse("2026-01-01T10:00:00Z");

  @TempDir
  Path repo;

  private String out;
  private String err;

  @BeforeEach
  void copyTheExample() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("..", "example"))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, repo.resolve(f.getFileName()));
      }
    }
  }

  @Test
  void shouldPrintUsageWithExamplesForTheCliAndEveryCommand() {
    assertThat(run("--help")).isZero();
    assertThat(out).contains("Usage: quiver", "plan", "apply", "list", "describe", "Examples:");

    for (String command : new String[] {"plan", "apply", "list", "describe"}) {
      assertThat(run(command, "--help")).as(command).isZero();
      assertThat(out).as(command).contains("Usage: quiver " + command).contains("Examples:").contains("-r, --repo=DIR");
    }
  }

  @Test
  void shouldExitWithTwoOnAMissingCommandOrAnUnknownOption() {
    assertThat(run()).isEqualTo(2);
    assertThat(err).contains("Missing a command");

    assertThat(run("plan", "--frobnicate")).isEqualTo(2);
    assertThat(err).contains("Unknown option: '--frobnicate'");
  }

  @Test
  void shouldPlanApplyListAndDescribeTheExample() {
    assertThat(run("plan", "-r", repo.toString())).isZero();
    assertThat(out).contains("  + feature view driver_hourly_stats  (schema v1)", "Plan: 6 to add, 0 to change, 0 to remove");
    assertThat(Files.exists(repo.resolve(".quiver"))).as("plan writes nothing").isFalse();

    assertThat(run("apply", "--repo", repo.toString())).isZero();
    RegistrySnapshot s = new LocalFileRegistryStore(repo.resolve(".quiver/registry.json")).load();
    String fingerprint = RegistryCodec.fingerprintHex(s.currentVersion("driver_hourly_stats").fingerprint());
    assertThat(out).contains("Applied: registry version 1 (hash " + s.hash().substring(0, 12) + ")")
        .contains("driver_hourly_stats is now at schema v1 (fingerprint " + fingerprint + ")");
    assertThat(err).isEmpty();

    assertThat(run("plan", "-r", repo.toString())).isZero();
    assertThat(out).isEqualTo("No changes. The registry (version 1) matches the definitions.\n");

    assertThat(run("list", "-r", repo.toString())).isZero();
    assertThat(out).contains("driver_hourly_stats", "v1, 3 features, entities driver, ttl 2h", "driver_ranking");

    assertThat(run("describe", "driver_hourly_stats", "-r", repo.toString())).isZero();
    assertThat(out).contains("Feature view driver_hourly_stats  (defined at driver.yaml:14)")
        .contains("v1  fingerprint " + fingerprint + "  applied " + T1 + "  in registry version 1 (hash "
            + s.hash().substring(0, 12) + ")")
        .contains("history:");
  }

  @Test
  void shouldShowEverySchemaVersionAfterAWideningApply() throws IOException {
    assertThat(run("apply", "-r", repo.toString())).isZero();
    edit("{name: conv_rate, type: FLOAT32}", "{name: conv_rate, type: FLOAT64}");

    assertThat(run("plan", "-r", repo.toString())).isZero();
    assertThat(out).contains("~ feature view driver_hourly_stats  (schema v1 -> v2)")
        .contains("~ feature conv_rate FLOAT32 -> FLOAT64    compatible");
    assertThat(run("apply", "-r", repo.toString())).isZero();
    assertThat(run("describe", "driver_hourly_stats", "-r", repo.toString())).isZero();

    assertThat(out).contains("    v1  fingerprint ", "    v2  fingerprint ", "[conv_rate FLOAT64, acc_rate FLOAT32",
        "registry version 2", "~ feature view driver_hourly_stats");
  }

  @Test
  void shouldReportBrokenYamlAsOneCleanProblemWithExitCodeTwo() throws IOException {
    edit("    entities: [driver]\n    source: driver_stats_stream", "    entities: [driver\n    source: driver_stats_stream");

    assertThat(run("plan", "-r", repo.toString())).isEqualTo(2);

    assertThat(out).isEmpty();
    assertThat(err).startsWith("Cannot load definitions: 1 problem:\n  driver.yaml:16: Cannot parse YAML: ")
        .doesNotContain("\tat ").doesNotContain("Exception");
  }

  @Test
  void shouldListEveryInvalidDefinitionWithFileAndLine() throws IOException {
    edit("{name: acc_rate, type: FLOAT32}", "{name: acc_rate, type: FLOAT23}");
    edit("ttl: 2h", "ttl: -2h");

    assertThat(run("apply", "-r", repo.toString())).isEqualTo(2);

    assertThat(err).startsWith("Cannot load definitions: 2 problems:\n")
        .contains("  driver.yaml:25: unknown type \"FLOAT23\" of feature acc_rate of feature view driver_hourly_stats")
        .contains("  driver.yaml:17: feature view driver_hourly_stats has a negative ttl \"-2h\"");
    assertThat(Files.exists(repo.resolve(".quiver/registry.json"))).isFalse();
  }

  @Test
  void shouldRefuseABreakingApplyNamingTheServiceUnlessAllowed() throws IOException {
    assertThat(run("apply", "-r", repo.toString())).isZero();
    edit("{name: conv_rate, type: FLOAT32}", "{name: conv_rate, type: STRING}");

    assertThat(run("apply", "-r", repo.toString())).isEqualTo(2);
    assertThat(err).isEqualTo("Cannot apply breaking change: feature view driver_hourly_stats (feature conv_rate "
        + "FLOAT32 -> STRING) is used by feature service driver_ranking. Change those services in the same apply, "
        + "or pass --allow-breaking\n");

    assertThat(run("apply", "-r", repo.toString(), "--allow-breaking")).isZero();
    assertThat(out).contains("Applied: registry version 2");
  }

  @Test
  void shouldExitWithTwoWhenDescribingAnUnknownName() {
    assertThat(run("apply", "-r", repo.toString())).isZero();

    assertThat(run("describe", "driver_hourly_statz", "-r", repo.toString())).isEqualTo(2);
    assertThat(err).startsWith("Cannot describe \"driver_hourly_statz\": the registry ")
        .endsWith("(version 1) has no entity, source, feature view or feature service of that name\n");
  }

  @Test
  void shouldExitWithOneAndNameTheFileWhenTheRegistryIsCorrupt() throws IOException {
    assertThat(run("apply", "-r", repo.toString())).isZero();
    Path file = repo.resolve(".quiver/registry.json");
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 10));

    assertThat(run("list", "-r", repo.toString())).isEqualTo(1);
    assertThat(err).isEqualTo("Cannot read registry " + file.toAbsolutePath() + ": truncated: the header promises "
        + (bytes.length - headerLength(bytes)) + " bytes but only "
        + (bytes.length - 10 - headerLength(bytes)) + " follow\n");
  }

  @Test
  void shouldExitWithTwoWhenTheRepoIsNotAFolder() {
    Path missing = repo.resolve("no-such-repo");

    assertThat(run("plan", "-r", missing.toString())).isEqualTo(2);
    assertThat(err).isEqualTo("Cannot load feature repo " + missing + ": not a folder\n");
    assertThat(run("list", "-r", missing.toString())).isEqualTo(2);
    assertThat(err).isEqualTo("Cannot open feature repo " + missing + ": not a folder\n");
  }

  @Test
  void shouldTellWhenTheRegistryIsEmpty() {
    assertThat(run("list", "-r", repo.toString())).isZero();
    assertThat(out).contains("is empty; run quiver apply first.");
  }

  private static int headerLength(byte[] bytes) {
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '\n') {
        return i + 1;
      }
    }
    return 0;
  }

  private void edit(String from, String to) throws IOException {
    Path f = repo.resolve("driver.yaml");
    String text = Files.readString(f);
    assertThat(text).contains(from);
    Files.writeString(f, text.replace(from, to));
  }

  private int run(String... args) {
    StringWriter o = new StringWriter();
    StringWriter e = new StringWriter();
    int code = QuiverCli.run(new QuiverCli(Clock.fixed(T1, ZoneOffset.UTC)), new PrintWriter(o), new PrintWriter(e),
        args);
    out = o.toString();
    err = e.toString();
    return code;
  }
}
