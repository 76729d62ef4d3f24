package dev.quiver.cli;

import dev.quiver.online.PushTarget;
import dev.quiver.registry.UserInputException;
import dev.quiver.sdk.FeatureStore;
import dev.quiver.sdk.internal.RowFiles;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code quiver push}: rows of a CSV or Parquet file into a feature view's topic. */
@Command(name = "push", mixinStandardHelpOptions = true,
    description = "Validate every row of a CSV or Parquet file against a feature view's schema, then produce "
        + "them to the view's Kafka topic (a bad row sends nothing). Columns: the join keys, event_timestamp "
        + "(ISO-8601, at most materializer.max_future_skew ahead of now) and any of the features. --to online "
        + "to a view with online: false (or offline to offline: false) is refused; online_and_offline writes "
        + "the sides the view has. With kafka.bootstrap_servers: embedded it needs a running "
        + "`quiver serve` on the repo (it uses that broker).",
    footer = {
        "",
        "Examples:",
        "  quiver push -r demo --view driver_hourly_stats \\",
        "      --file demo/data/driver_stats.csv",
        "  quiver push -r demo --view driver_hourly_stats \\",
        "      --file events.parquet --to online",
    })
final class PushCommand implements Callable<Integer> {
  private static final int CHUNK = 5_000;

  @Mixin
  RepoOption repo;

  @Option(names = "--view", required = true, paramLabel = "VIEW", description = "The feature view.")
  String view;

  @Option(names = "--file", required = true, paramLabel = "FILE",
      description = "Rows to push: CSV (by the .csv name) or Parquet.")
  Path file;

  @Option(names = "--to", paramLabel = "TARGET", defaultValue = "online_and_offline",
      description = "online, offline or online_and_offline (default).")
  String to;

  @Spec
  CommandSpec spec;

  @ParentCommand
  QuiverCli parent;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PushTarget target = null;
    for (PushTarget t : PushTarget.values()) {
      if (t.wireName().equals(to)) {
        target = t;
      }
    }
    if (target == null) {
      throw new UserInputException("Cannot push: --to must be online, offline or online_and_offline, got \"" + to + "\"");
    }
    try (FeatureStore store = FeatureStore.open(repo.repo(), parent.clock())) {
      List<Map<String, Object>> rows = RowFiles.read(file);
      // Every row first: a bad row anywhere sends nothing.
      store.validatePush(view, rows, target);
      boolean bar = System.console() != null && rows.size() > CHUNK;
      try (ProgressBar pb = bar ? new ProgressBarBuilder().setTaskName("push " + view).setInitialMax(rows.size())
          .build() : null) {
        for (int i = 0; i < rows.size(); i += CHUNK) {
          List<Map<String, Object>> chunk = rows.subList(i, Math.min(rows.size(), i + CHUNK));
          store.push(view, chunk, target, i);
          if (pb != null) {
            pb.stepBy(chunk.size());
          }
        }
      }
      out.println("Pushed " + rows.size() + " rows to " + view + " (to " + target.wireName() + ").");
    }
    return 0;
  }
}
