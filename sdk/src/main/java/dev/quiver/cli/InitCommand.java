package dev.quiver.cli;

import dev.quiver.registry.UserInputException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code quiver init DIR}: writes a working example feature repo (the driver example): settings,
 * definitions, a sample events file and a sample spine. Event times lie in the 24 hours before
 * the command ran (so lookups right after find fresh values under the 2-hour ttl); the values are
 * the same on every run (fixed seed). Never overwrites a file.
 */
@Command(name = "init", mixinStandardHelpOptions = true,
    description = "Write a working example feature repo into DIR (created when missing): quiver.yaml with "
        + "an embedded Kafka broker, the driver example's definitions, sample events "
        + "(data/driver_stats.csv) and a sample spine (data/driver_spine.csv). Refuses to overwrite files.",
    footer = {
        "",
        "Examples:",
        "  quiver init demo                  write the example repo into ./demo",
        "  quiver apply -r demo && quiver serve -r demo",
        "  quiver push -r demo --view driver_hourly_stats \\",
        "      --file demo/data/driver_stats.csv",
    })
final class InitCommand implements Callable<Integer> {
  static final String DEFINITIONS = "driver_stats.yaml";
  static final String EVENTS = "data/driver_stats.csv";
  static final String SPINE = "data/driver_spine.csv";
  static final long[] DRIVERS = {1001, 1002, 1003, 1004, 1005};

  @Parameters(index = "0", paramLabel = "DIR", description = "The folder to write the repo into.")
  Path dir;

  @ParentCommand
  QuiverCli parent;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Instant now = parent.clock().instant().truncatedTo(ChronoUnit.MINUTES);
    Map<String, String> files = new LinkedHashMap<>();
    files.put("quiver.yaml", settings(projectName(dir)));
    files.put(DEFINITIONS, definitions());
    files.put(EVENTS, events(now));
    files.put(SPINE, spine(now));
    files.put(".gitignore", ".quiver/\n");
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new UserInputException("Cannot init feature repo " + dir + ": it is a file, not a folder");
    }
    List<String> existing = new ArrayList<>();
    files.keySet().forEach(f -> {
      if (Files.exists(dir.resolve(f))) {
        existing.add(f);
      }
    });
    if (!existing.isEmpty()) {
      throw new UserInputException("Cannot init feature repo " + dir + ": " + String.join(", ", existing)
          + (existing.size() == 1 ? " exists" : " exist") + " (init never overwrites; choose an empty folder)");
    }
    try {
      for (Map.Entry<String, String> e : files.entrySet()) {
        Path p = dir.resolve(e.getKey());
        Files.createDirectories(p.getParent());
        Files.writeString(p, e.getValue(), StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE_NEW);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot init feature repo " + dir + ": " + e.getMessage(), e);
    }
    out.println("Wrote an example feature repo to " + dir + ":");
    files.keySet().forEach(f -> out.println("  " + f));
    String r = dir.toString();
    out.println();
    out.println("Next:");
    out.println("  quiver apply -r " + r + "          register the definitions");
    out.println("  quiver serve -r " + r + "          run Kafka, the materializer and the HTTP server (leave it running)");
    out.println("  quiver push -r " + r + " --view driver_hourly_stats --file " + dir.resolve(EVENTS));
    out.println("  quiver get -r " + r + " --service driver_ranking --entity driver_id=1001");
    return 0;
  }

  static String projectName(Path dir) {
    Path name = dir.toAbsolutePath().normalize().getFileName();
    String s = name == null ? "quiver" : name.toString().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    return s.isEmpty() || !Character.isLetter(s.charAt(0)) ? "quiver_" + s : s;
  }

  static String settings(String project) {
    return """
        # Settings of this feature repo (like Feast's feature_store.yaml). Every key is optional;
        # paths are relative to this folder. Definitions live in the other *.yaml files here.
        project: %s

        # Where the registry file, RocksDB (online), Parquet (offline) and the embedded broker's data live.
        state_dir: .quiver

        kafka:
          # "embedded": `quiver serve` runs a Kafka broker in-process, its data under state_dir.
          # Or a cluster's bootstrap servers, e.g. broker1:9092,broker2:9092
          bootstrap_servers: embedded
          partitions: 3              # partitions of each feature view's topic

        server:
          host: 127.0.0.1            # where `quiver serve` listens for HTTP
          port: 6566

        limits:
          max_entities: 1000         # most entities in one lookup request
          max_request_bytes: 1048576 # largest HTTP request body

        materializer:
          flush_rows: 50000          # write buffered events to Parquet after this many rows,
          flush_age: 5s              # or once the oldest has waited this long
        """.formatted(project);
  }

  static String definitions() {
    return """
        # The driver example: one entity, a feature view fed by a Kafka topic, and the feature
        # service a ranking model uses. Change it, then run `quiver plan` and `quiver apply`.
        entities:
          - name: driver
            join_keys: [{name: driver_id, type: INT64}]
            description: A driver of the ride-hailing service

        sources:
          - name: driver_stats_stream
            kafka: {topic: quiver.driver_hourly_stats}
            timestamp_field: event_timestamp

        feature_views:
          - name: driver_hourly_stats
            entities: [driver]
            source: driver_stats_stream
            ttl: 2h                  # older values are not served (and not joined)
            owner: ml-platform@example.com
            tags: {team: drivers}
            description: Hourly driver statistics
            features:
              - {name: conv_rate, type: FLOAT32}
              - {name: acc_rate, type: FLOAT32}
              - {name: avg_daily_trips, type: INT64}

        feature_services:
          - name: driver_ranking
            features: [driver_hourly_stats:conv_rate, driver_hourly_stats:acc_rate, driver_hourly_stats:avg_daily_trips]
        """;
  }

  /** 5 drivers x 48 half-hourly events over the 24 hours before {@code now}; fixed values. */
  static String events(Instant now) {
    Random rnd = new Random(42);
    StringBuilder sb = new StringBuilder("driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips\n");
    for (int k = 47; k >= 0; k--) {
      Instant t = now.minus(Duration.ofMinutes(30L * k));
      for (long d : DRIVERS) {
        sb.append(d).append(',').append(t).append(',')
            .append(String.format(Locale.ROOT, "%.4f", rnd.nextFloat())).append(',')
            .append(String.format(Locale.ROOT, "%.4f", rnd.nextFloat())).append(',')
            .append(100 + rnd.nextInt(900)).append('\n');
      }
    }
    return sb.toString();
  }

  /** Training rows: each driver at four times, and driver 1006, who has no history (features null). */
  static String spine(Instant now) {
    Random rnd = new Random(7);
    StringBuilder sb = new StringBuilder("driver_id,event_timestamp,trip_completed\n");
    Duration[] ago = {Duration.ofHours(20).plusMinutes(10), Duration.ofHours(6), Duration.ofMinutes(75), Duration.ZERO};
    for (Duration a : ago) {
      for (long d : DRIVERS) {
        sb.append(d).append(',').append(now.minus(a)).append(',').append(rnd.nextInt(2)).append('\n');
      }
    }
    sb.append(1006).append(',').append(now.minus(Duration.ofHours(1))).append(",0\n");
    return sb.toString();
  }
}
