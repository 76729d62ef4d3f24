package dev.quiver.cli;

import dev.quiver.sdk.ConsistencyReport;
import dev.quiver.sdk.FeatureStore;
import dev.quiver.sdk.OnlineFeatureLookup;
import dev.quiver.sdk.RemoteFeatureStore;
import dev.quiver.sdk.internal.ServeState;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code quiver check-consistency}: online values against the training set at t = now. */
@Command(name = "check-consistency", mixinStandardHelpOptions = true,
    description = "For entities sampled from both stores (up to --sample from each: the online store by seeks "
        + "into RocksDB, the offline store from the key columns of a few files), compare each feature's online "
        + "value, status and event time with what a training set gives at t = now, and report every mismatch, "
        + "every entity the offline store has and the online store lacks (MISSING), and every entity with an "
        + "online value the offline store lacks at t (EXTRA). Zero are expected once the stream is drained and "
        + "the offline buffers are flushed (see materializer.flush_age). Online values come from RocksDB, or "
        + "from the HTTP server while `quiver serve` runs (or with --url); the server judges the ttl at this "
        + "check's t, not at its own clock.",
    footer = {
        "",
        "Examples:",
        "  quiver check-consistency -r demo",
        "  quiver check-consistency -r demo --views driver_hourly_stats \\",
        "      --sample 1000",
        "",
        "Exit codes: 0 consistent; 3 mismatches, missing or extra entities found (each",
        "printed); 2 bad input;",
        "1 anything else.",
    })
final class CheckConsistencyCommand implements Callable<Integer> {
  /** Exit code when mismatches were found. */
  static final int EXIT_MISMATCH = 3;

  @ParentCommand
  QuiverCli parent;

  @Mixin
  RepoOption repo;

  @Option(names = "--views", paramLabel = "VIEW", split = ",", description = "Views to check (default: every online and offline view).")
  List<String> views = List.of();

  @Option(names = "--sample", paramLabel = "N", defaultValue = "100",
      description = "Entities per view sampled from each store (default 100).")
  int sample;

  @Option(names = "--url", paramLabel = "URL", description = "Read online values from this feature server.")
  String url;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try (FeatureStore store = FeatureStore.open(QuiverCli.config(repo.repo()), parent.clock())) {
      OnlineFeatureLookup online = store;
      Optional<ServeState> serving = ServeState.read(store.config().stateDir());
      if (url != null) {
        online = RemoteFeatureStore.connect(url);
      } else if (serving.isPresent() && serving.get().url() != null) {
        online = RemoteFeatureStore.connect(serving.get().url());
      }
      ConsistencyReport r = store.checkConsistency(views, sample, online);
      int entities = r.entitiesPerView().values().stream().mapToInt(Integer::intValue).sum();
      r.entitiesPerView().forEach((v, n) -> out.println(v + ": " + n + " entities"
          + (n == 0 ? " (no data in either store yet)" : "")));
      for (ConsistencyReport.EntityDifference d : r.missing()) {
        out.println("MISSING " + d);
      }
      for (ConsistencyReport.EntityDifference d : r.extra()) {
        out.println("EXTRA " + d);
      }
      for (ConsistencyReport.Mismatch m : r.mismatches()) {
        out.println("MISMATCH " + m);
      }
      out.println("Compared " + r.valuesCompared() + " values of " + entities + " entities at " + r.at() + ": "
          + r.mismatches().size() + (r.mismatches().size() == 1 ? " mismatch" : " mismatches") + ", "
          + r.missing().size() + " missing, " + r.extra().size() + " extra.");
      if (!r.consistent()) {
        out.println("(Events newer than the last offline flush show as mismatches until it; re-run after "
            + store.config().flushAge().toSeconds() + " s.)");
        return EXIT_MISMATCH;
      }
    }
    return 0;
  }
}
