package dev.quiver.cli;

import dev.quiver.registry.FeatureRepo;
import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.registry.LocalFileRegistryStore;
import dev.quiver.registry.RegistryCodec;
import dev.quiver.registry.RegistryPlan;
import dev.quiver.registry.RegistrySnapshot;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code quiver apply}: commits the repo's definitions to the registry, atomically. */
@Command(name = "apply", mixinStandardHelpOptions = true,
    description = "Commit the definitions in the feature repo to the registry in one atomic step. A schema "
        + "change makes the view's next version. Refuses a breaking change to a view that a registered "
        + "feature service uses, unless the same apply changes that service too.",
    footer = {
        "",
        "Examples:",
        "  quiver apply -r example                     apply the repo in ./example",
        "  quiver apply -r example --allow-breaking    apply even if it breaks registered services",
    })
final class ApplyCommand implements Callable<Integer> {
  @Mixin
  RepoOption repo;

  @Option(names = "--allow-breaking",
      description = "Apply breaking changes to views that registered feature services use.")
  boolean allowBreaking;

  @ParentCommand
  QuiverCli parent;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    FeatureRepo fr = FeatureRepo.open(repo.repo());
    LocalFileRegistryStore store = new LocalFileRegistryStore(fr.registryFile());
    RegistrySnapshot base = store.load();
    RegistryPlan plan = RegistryPlan.between(base, fr.definitions());
    out.print(plan.render());
    if (plan.isEmpty()) {
      return 0;
    }
    RegistrySnapshot next = plan.apply(store,
        parent.clock().instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS), allowBreaking);
    out.println();
    out.println("Applied: registry version " + next.version() + " (hash " + next.hash().substring(0, 12)
        + ") in " + store.file());
    next.viewVersions().forEach((view, versions) -> {
      List<FeatureViewVersion> before = base.viewVersions().getOrDefault(view, List.of());
      if (versions.size() > before.size()) {
        FeatureViewVersion v = versions.get(versions.size() - 1);
        out.println("  " + view + " is now at schema v" + v.version() + " (fingerprint "
            + RegistryCodec.fingerprintHex(v.fingerprint()) + ")");
      }
    });
    return 0;
  }
}
