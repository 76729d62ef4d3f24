package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.registry.Definitions;
import dev.quiver.registry.FeatureRepo;
import dev.quiver.registry.FeatureView;
import dev.quiver.sdk.QuiverConfig;
import dev.quiver.sdk.internal.RowFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitCommandTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:34:56Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  @TempDir
  Path tmp;

  @Test
  void shouldWriteTheDriverExampleThatLoadsAndApplies() throws Exception {
    Path repo = tmp.resolve("demo");
    CliRun init = CliRun.run(CLOCK, "init", repo.toString());
    assertThat(init.code).as(init.toString()).isZero();
    assertThat(init.out).contains("quiver.yaml", "driver_stats.yaml", "data/driver_stats.csv", "data/driver_spine.csv",
        "quiver serve -r " + repo);

    QuiverConfig config = QuiverConfig.load(repo);
    assertThat(config.embeddedKafka()).isTrue();
    assertThat(config.project()).isEqualTo("demo");
    assertThat(config.kafkaDataDir()).isEqualTo(repo.toAbsolutePath().resolve(".quiver/kafka"));

    Definitions defs = FeatureRepo.open(repo).definitions();
    FeatureView view = defs.views().get("driver_hourly_stats");
    assertThat(view.ttl()).isEqualTo(Duration.ofHours(2));
    assertThat(view.features()).extracting(f -> f.name() + ":" + f.type())
        .containsExactly("conv_rate:FLOAT32", "acc_rate:FLOAT32", "avg_daily_trips:INT64");
    assertThat(defs.entities().get("driver").joinKeys()).extracting(k -> k.name() + ":" + k.type())
        .containsExactly("driver_id:INT64");
    assertThat(defs.services()).containsKey("driver_ranking");

    List<Map<String, Object>> events = RowFiles.read(repo.resolve("data/driver_stats.csv"));
    assertThat(events).hasSize(240);
    Set<Object> drivers = events.stream().map(e -> e.get("driver_id")).collect(Collectors.toSet());
    assertThat(drivers).containsExactlyInAnyOrder("1001", "1002", "1003", "1004", "1005");
    assertThat(events).allSatisfy(e -> {
      Instant t = Instant.parse((String) e.get("event_timestamp"));
      assertThat(t).isBeforeOrEqualTo(NOW).isAfter(NOW.minus(Duration.ofHours(24)));
    });
    // the newest events are fresh under the 2 h ttl right after init
    assertThat(events.get(events.size() - 1).get("event_timestamp")).isEqualTo("2026-03-01T12:34:00Z");
    List<Map<String, Object>> spine = RowFiles.read(repo.resolve("data/driver_spine.csv"));
    assertThat(spine).hasSize(21);
    assertThat(spine.get(0).keySet()).containsExactly("driver_id", "event_timestamp", "trip_completed");

    // the same content on every run (fixed seed), given the same clock
    Path again = tmp.resolve("again");
    assertThat(CliRun.run(CLOCK, "init", again.toString()).code).isZero();
    assertThat(Files.readString(again.resolve("data/driver_stats.csv")))
        .isEqualTo(Files.readString(repo.resolve("data/driver_stats.csv")));

    CliRun apply = CliRun.run(CLOCK, "apply", "-r", repo.toString());
    assertThat(apply.code).as(apply.toString()).isZero();
  }

  @Test
  void shouldRefuseToOverwriteAnExistingFileAndWriteNothing() throws Exception {
    Path repo = tmp.resolve("mine");
    Files.createDirectories(repo.resolve("data"));
    Files.writeString(repo.resolve("data/driver_spine.csv"), "my own spine\n");

    CliRun init = CliRun.run(CLOCK, "init", repo.toString());

    assertThat(init.code).isEqualTo(2);
    assertThat(init.err.strip()).isEqualTo("Cannot init feature repo " + repo
        + ": data/driver_spine.csv exists (init never overwrites; choose an empty folder)");
    assertThat(Files.readString(repo.resolve("data/driver_spine.csv"))).isEqualTo("my own spine\n");
    assertThat(repo.resolve("quiver.yaml")).doesNotExist();
    assertThat(repo.resolve("data/driver_stats.csv")).doesNotExist();
  }

  @Test
  void shouldRefuseAFileAsTheRepoFolder() throws Exception {
    Path file = Files.writeString(tmp.resolve("file.txt"), "x");
    CliRun init = CliRun.run(CLOCK, "init", file.toString());
    assertThat(init.code).isEqualTo(2);
    assertThat(init.err).contains("Cannot init feature repo " + file + ": it is a file, not a folder");
  }
}
