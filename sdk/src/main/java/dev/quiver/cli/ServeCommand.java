package dev.quiver.cli;

import dev.quiver.sdk.FeatureServer;
import dev.quiver.sdk.FeatureStore;
import dev.quiver.sdk.QuiverConfig;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code quiver serve}: the embedded broker (with {@code kafka.bootstrap_servers: embedded}), the
 * stream materializer and the HTTP server together, until Ctrl-C or SIGTERM; then stops them in
 * order (server, materializer with a flush, stores, broker) and exits 0.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Serve the feature repo: with kafka.bootstrap_servers: embedded (what `quiver init` writes) "
        + "start a Kafka broker in this process (its data under the repo's state folder), create the "
        + "topics of the registered views, run the materializer (Kafka into RocksDB and Parquet) and the "
        + "HTTP server (POST /get-online-features, POST /push, GET /health, GET /metrics). A view applied "
        + "while serving starts flowing. Applies nothing itself: run `quiver apply` first. Ctrl-C or "
        + "SIGTERM stops it cleanly.",
    footer = {
        "",
        "Examples:",
        "  quiver serve -r demo              on server.host:server.port of quiver.yaml",
        "  quiver serve -r demo --port 8080  another port (0: any free port)",
        "  curl -s localhost:6566/get-online-features \\",
        "      -d '{\"feature_service\": \"driver_ranking\",",
        "           \"entities\": {\"driver_id\": [1001, 1002]}}'",
    })
final class ServeCommand implements Callable<Integer> {
  @ParentCommand
  QuiverCli parent;

  @Mixin
  RepoOption repo;

  @Option(names = "--port", paramLabel = "PORT", description = "The HTTP port (default: server.port of quiver.yaml).")
  Integer port;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    QuiverConfig config = QuiverCli.config(repo.repo());
    if (port != null) {
      config = config.withServerPort(port);
    }
    return run(FeatureStore.open(config, parent.clock()), true, out, spec.commandLine().getErr());
  }

  /**
   * The in-process broker logs its routine start and stop at WARN: keep the terminal for Quiver's
   * own lines unless {@code -Dquiver.log.level} asks for more. Log4j's own shutdown hook would stop
   * logging while the broker still shuts down; this command's hook shuts logging down last instead.
   */
  private static void quietLogging() {
    if (System.getProperty("quiver.log.level") == null) {
      org.apache.logging.log4j.core.config.Configurator.setLevel("kafka", org.apache.logging.log4j.Level.ERROR);
      org.apache.logging.log4j.core.config.Configurator.setLevel("org.apache.kafka", org.apache.logging.log4j.Level.ERROR);
    }
    if (org.apache.logging.log4j.LogManager.getFactory() instanceof org.apache.logging.log4j.core.impl.Log4jContextFactory f
        && f.getShutdownCallbackRegistry() instanceof org.apache.logging.log4j.core.LifeCycle hooks) {
      hooks.stop();
    }
  }

  /**
   * Says which definitions in the repo differ from the registry (which is what is served) and how
   * to apply them; true when it said so. Silent when they match, or when the repo holds no
   * definitions (they are applied from elsewhere, e.g. the Java builders).
   */
  static boolean warnUnapplied(FeatureStore store, PrintWriter err) {
    String dir = store.config().repo().toString();
    try {
      dev.quiver.registry.RegistryPlan plan = store.plan();
      var target = plan.target();
      boolean none = target.entities().isEmpty() && target.sources().isEmpty() && target.views().isEmpty()
          && target.services().isEmpty();
      if (plan.isEmpty() || none) {
        return false;
      }
      err.println("The definitions in " + dir + " differ from the registry (version " + plan.base().version()
          + "), which is what is served: " + plan.summary() + ".");
      err.println("See the changes with `quiver plan -r " + dir + "` and apply them with `quiver apply -r " + dir
          + "` (serve picks the new registry up).");
    } catch (RuntimeException e) {
      err.println("Cannot compare the definitions in " + dir + " with the registry: " + e.getMessage()
          + " (serving the registry as applied).");
    }
    err.flush();
    return true;
  }

  /** Serves until SIGTERM/Ctrl-C (then exits the JVM with 0) or a materializer failure (returns 1). */
  static int run(FeatureStore store, boolean http, PrintWriter out, PrintWriter err) throws InterruptedException {
    quietLogging();
    FeatureServer server;
    try {
      server = store.serve(http);
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    Thread hook = new Thread(() -> {
      out.println("Stopping: " + (http ? "HTTP server, " : "") + "materializer (flushing), stores"
          + (store.config().embeddedKafka() ? ", broker" : "") + "...");
      out.flush();
      store.close();
      out.println("Stopped.");
      out.flush();
      org.apache.logging.log4j.LogManager.shutdown();
      // Exit 0 after a requested stop: everything is closed and flushed.
      Runtime.getRuntime().halt(0);
    }, "quiver-serve-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    var registry = store.registry();
    if (!warnUnapplied(store, err) && registry.definitions().views().isEmpty()) {
      out.println("The registry is empty: run `quiver apply -r " + store.config().repo() + "` (serve picks it up).");
    }
    out.println("Kafka: " + server.bootstrapServers()
        + (store.config().embeddedKafka() ? " (embedded, data in " + store.config().kafkaDataDir() + ")" : ""));
    out.println("Materializing views: " + (registry.definitions().views().isEmpty() ? "(none yet)"
        : String.join(", ", registry.definitions().views().keySet())));
    if (http) {
      out.println("Serving " + store.config().project() + " at " + server.url()
          + " (POST /get-online-features, POST /push, GET /health, GET /metrics)");
    }
    out.println("Press Ctrl-C to stop.");
    out.flush();
    while (true) {
      Thread.sleep(500);
      if (server.materializerFailure().isPresent()) {
        Throwable f = server.materializerFailure().get();
        err.println("Cannot go on materializing: " + f.getMessage());
        err.flush();
        Runtime.getRuntime().removeShutdownHook(hook);
        store.close();
        return QuiverCli.EXIT_FAILURE;
      }
    }
  }
}
