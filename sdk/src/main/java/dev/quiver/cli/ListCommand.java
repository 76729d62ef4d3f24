package dev.quiver.cli;

import dev.quiver.registry.Definitions;
import dev.quiver.registry.Durations;
import dev.quiver.registry.Entity;
import dev.quiver.registry.FeatureRepo;
import dev.quiver.registry.FeatureService;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.LocalFileRegistryStore;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code quiver list}: the registered entities, sources, views and services. */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = "List what the registry holds: entities, sources, feature views (with their current "
        + "schema version) and feature services.",
    footer = {
        "",
        "Examples:",
        "  quiver list                  list the registry of the repo in the current folder",
        "  quiver list -r example       list the registry of ./example",
    })
final class ListCommand implements Callable<Integer> {
  @Mixin
  RepoOption repo;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    LocalFileRegistryStore store = new LocalFileRegistryStore(FeatureRepo.registryFile(repo.repo()));
    RegistrySnapshot s = store.load();
    if (s.version() == 0) {
      out.println("The registry " + store.file() + " is empty; run quiver apply first.");
      return 0;
    }
    out.println("Registry version " + s.version() + " (hash " + s.hash().substring(0, 12) + ") in " + store.file());
    Definitions d = s.definitions();
    out.println();
    out.println("Entities:");
    for (Entity e : d.entities().values()) {
      out.printf("  %-28s join keys %s%n", e.name(), Describe.keys(e.joinKeys()));
    }
    out.println("Sources:");
    for (Source src : d.sources().values()) {
      out.printf("  %-28s %s%n", src.name(), Describe.source(src));
    }
    out.println("Feature views:");
    for (FeatureView v : d.views().values()) {
      out.printf("  %-28s v%d, %d features, entities %s, ttl %s%n", v.name(), s.currentVersion(v.name()).version(),
          v.features().size(), String.join(", ", v.entities()), Durations.format(v.ttl()));
    }
    out.println("Feature services:");
    for (FeatureService fs : d.services().values()) {
      out.printf("  %-28s %d features from %s%n", fs.name(), s.resolve(fs.features()).size(),
          String.join(", ", fs.features().stream().map(r -> r.view()).distinct().toList()));
    }
    return 0;
  }
}
