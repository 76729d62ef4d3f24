package dev.quiver.cli;

import dev.quiver.materializer.BatchMaterializer;
import dev.quiver.registry.Timestamps;
import dev.quiver.registry.UserInputException;
import dev.quiver.sdk.FeatureStore;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code quiver materialize}: the stream materializer until Ctrl-C, or a time range from Parquet into RocksDB. */
@Command(name = "materialize", mixinStandardHelpOptions = true,
    description = "Either run the stream materializer (Kafka into RocksDB and Parquet) until Ctrl-C, without "
        + "the HTTP server (--stream; with kafka.bootstrap_servers: embedded it starts the broker too), or "
        + "load the events with START <= event time < END from the offline store (or a view's Parquet "
        + "source) into the online store under the ordering rule, so re-running changes nothing "
        + "(--start/--end). Times are ISO-8601 (UTC when no offset is given) or dates.",
    footer = {
        "",
        "Examples:",
        "  quiver materialize -r demo --stream",
        "  quiver materialize -r demo --start 2024-05-01 --end 2024-05-02",
        "  quiver materialize -r demo --start 2024-05-01T00:00:00Z \\",
        "      --end 2024-05-01T12:00:00Z --views driver_hourly_stats",
    })
final class MaterializeCommand implements Callable<Integer> {
  @ParentCommand
  QuiverCli parent;

  @Mixin
  RepoOption repo;

  @Option(names = "--stream", description = "Consume Kafka into both stores until Ctrl-C.")
  boolean stream;

  @Option(names = "--start", paramLabel = "T1", description = "Start of the range (inclusive).")
  String start;

  @Option(names = "--end", paramLabel = "T2", description = "End of the range (exclusive).")
  String end;

  @Option(names = "--views", paramLabel = "VIEW", split = ",", description = "Only these views (default: all online views).")
  List<String> views = List.of();

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    if (stream == (start != null || end != null)) {
      throw new UserInputException("Cannot materialize: give either --stream or --start and --end");
    }
    if (stream) {
      if (!views.isEmpty()) {
        throw new UserInputException("Cannot materialize: --views goes with --start/--end; --stream takes every view");
      }
      return ServeCommand.run(FeatureStore.open(QuiverCli.config(repo.repo()), parent.clock()), false, out, spec.commandLine().getErr());
    }
    if (start == null || end == null) {
      throw new UserInputException("Cannot materialize: give both --start and --end");
    }
    Instant t1 = time("--start", start);
    Instant t2 = time("--end", end);
    try (FeatureStore store = FeatureStore.open(QuiverCli.config(repo.repo()), parent.clock())) {
      BatchMaterializer.Result r = store.materialize(t1, t2, views);
      r.eventsPerView().forEach((view, n) -> out.println(view + ": " + n + " events loaded"
          + (r.skippedPerView().getOrDefault(view, 0L) > 0 ? ", " + r.skippedPerView().get(view)
          + " rows skipped (null join key or event time)" : "")));
      out.println("Materialized " + r.events() + " events of [" + t1 + ", " + t2 + ") into the online store.");
    }
    return 0;
  }

  static Instant time(String option, String text) {
    try {
      return Timestamps.parse(text);
    } catch (IllegalArgumentException e) {
      throw new UserInputException("Cannot parse " + option + " \"" + text
          + "\": expected an ISO-8601 time such as 2024-05-01T10:00:00Z or a date");
    }
  }
}
