package dev.quiver.cli;

import dev.quiver.registry.FeatureRepo;
import dev.quiver.registry.LocalFileRegistryStore;
import dev.quiver.registry.RegistryPlan;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code quiver plan}: prints what {@code apply} would change, with a verdict per change. */
@Command(name = "plan", mixinStandardHelpOptions = true,
    description = "Show how the definitions in the feature repo differ from the registry: added (+), "
        + "changed (~) and removed (-) entities, sources, views and services, each compatible or BREAKING.",
    footer = {
        "",
        "Examples:",
        "  quiver plan                  plan the feature repo in the current folder",
        "  quiver plan -r example       plan the repo in ./example",
    })
final class PlanCommand implements Callable<Integer> {
  @Mixin
  RepoOption repo;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    FeatureRepo fr = FeatureRepo.open(repo.repo());
    LocalFileRegistryStore store = new LocalFileRegistryStore(fr.registryFile());
    RegistryPlan plan = RegistryPlan.between(store.load(), fr.definitions());
    spec.commandLine().getOut().print(plan.render());
    return 0;
  }
}
