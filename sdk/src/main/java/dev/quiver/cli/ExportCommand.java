package dev.quiver.cli;

import dev.quiver.offline.ExportFormat;
import dev.quiver.offline.ExportResult;
import dev.quiver.offline.ReplayReport;
import dev.quiver.offline.TrainingSetExport;
import dev.quiver.registry.UserInputException;
import dev.quiver.sdk.FeatureStore;
import dev.quiver.sdk.HistoricalFeatures;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code quiver export}: a point-in-time-correct training set, or the replay of one from its manifest. */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = "Export a point-in-time-correct training set: for every spine row (join keys and "
        + "event_timestamp), each feature's value as it was known at that time (within the view's ttl). "
        + "Output: the spine's columns in its row order, then the features; Parquet, Arrow IPC or CSV; a "
        + "manifest beside it (<out>.manifest.json). --replay rebuilds an export from its manifest and "
        + "checks it is byte-identical, naming any input that changed.",
    footer = {
        "",
        "Examples:",
        "  quiver export -r demo --spine demo/data/driver_spine.csv \\",
        "      --service driver_ranking --out train.parquet",
        "  quiver export -r demo --spine spine.parquet --format csv \\",
        "      --features driver_hourly_stats:conv_rate --out train.csv",
        "  quiver export -r demo --spine spine.parquet --service driver_ranking \\",
        "      --out train.parquet --as-of 2024-05-01",
        "  quiver export -r demo --replay train.parquet.manifest.json",
        "",
        "Exit codes: 0 done (replay: identical); 2 bad input (file, column or ref",
        "named) or a replay that differs; 1 anything else.",
    })
final class ExportCommand implements Callable<Integer> {
  @Mixin
  RepoOption repo;

  @Option(names = "--spine", paramLabel = "FILE", description = "The spine: Parquet, or CSV by its .csv name.")
  Path spine;

  @Option(names = "--features", paramLabel = "VIEW:FEATURE", split = ",", description = "Feature references.")
  List<String> features;

  @Option(names = "--service", paramLabel = "SERVICE", description = "The features of a feature service.")
  String service;

  @Option(names = "--out", paramLabel = "FILE", description = "The output file.")
  Path out;

  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "parquet", description = "parquet (default), arrow or csv.")
  String format;

  @Option(names = "--as-of", paramLabel = "T", description = "Only values created at or before T (ISO-8601 or a date).")
  String asOf;

  @Option(names = "--full-feature-names", description = "Name feature columns view__feature.")
  boolean fullFeatureNames;

  @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "1g", description = "Memory budget before spilling (default 1g).")
  String memory;

  @Option(names = "--timestamp-column", paramLabel = "NAME", defaultValue = TrainingSetExport.DEFAULT_TIMESTAMP_COLUMN,
      description = "The spine's timestamp column (default event_timestamp).")
  String timestampColumn;

  @Option(names = "--replay", paramLabel = "MANIFEST", description = "Rebuild the export this manifest describes and compare.")
  Path replay;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter w = spec.commandLine().getOut();
    try (FeatureStore store = FeatureStore.open(repo.repo())) {
      if (replay != null) {
        if (spine != null || features != null || service != null || out != null || asOf != null) {
          throw new UserInputException("Cannot export: --replay takes only the manifest (the options come from it)");
        }
        ReplayReport r = store.replay(replay);
        w.println("Replayed " + replay + ": identical output (sha256 " + r.actualSha256() + ")");
        return 0;
      }
      if (spine == null || out == null) {
        throw new UserInputException("Cannot export: give --spine and --out (or --replay MANIFEST)");
      }
      if ((features == null) == (service == null)) {
        throw new UserInputException("Cannot export: give either --features or --service");
      }
      HistoricalFeatures h = service != null ? store.getHistoricalFeatures(spine, service)
          : store.getHistoricalFeatures(spine, features);
      ExportResult r = h.withFullFeatureNames(fullFeatureNames)
          .withAsOf(asOf == null ? null : MaterializeCommand.time("--as-of", asOf))
          .withMemoryBudget(TrainingSetExport.parseMemory(memory))
          .withTimestampColumn(timestampColumn)
          .withProgressBar(true)
          .write(out, ExportFormat.parse(format));
      w.println("Wrote " + r.rows() + " rows (" + String.join(", ", r.columns()) + ") to " + r.output());
      if (r.manifest() != null) {
        w.println("Manifest: " + r.manifest());
      }
    }
    return 0;
  }
}
