package dev.quiver.cli;

import dev.quiver.registry.Definitions;
import dev.quiver.registry.Durations;
import dev.quiver.registry.Entity;
import dev.quiver.registry.Feature;
import dev.quiver.registry.FeatureRepo;
import dev.quiver.registry.FeatureService;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.registry.HistoryEntry;
import dev.quiver.registry.LocalFileRegistryStore;
import dev.quiver.registry.RegistryCodec;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.ResolvedFeature;
import dev.quiver.registry.Source;
import dev.quiver.registry.SourceLocation;
import dev.quiver.registry.UserInputException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code quiver describe NAME}: one registered definition in full; for a view, every schema version. */
@Command(name = "describe", mixinStandardHelpOptions = true,
    description = "Describe a registered entity, source, feature view or feature service. A feature view "
        + "shows every schema version with its fingerprint, applied time and registry hash, and its history.",
    footer = {
        "",
        "Examples:",
        "  quiver describe driver_hourly_stats -r example",
        "  quiver describe driver_ranking -r example",
    })
final class DescribeCommand implements Callable<Integer> {
  @Mixin
  RepoOption repo;

  @Parameters(index = "0", paramLabel = "NAME", description = "The name of an entity, source, view or service.")
  String name;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    LocalFileRegistryStore store = new LocalFileRegistryStore(FeatureRepo.registryFile(repo.repo()));
    RegistrySnapshot s = store.load();
    Definitions d = s.definitions();
    boolean found = false;
    if (d.entities().containsKey(name)) {
      entity(out, d.entities().get(name));
      found = true;
    }
    if (d.sources().containsKey(name)) {
      source(out, d.sources().get(name));
      found = true;
    }
    if (d.views().containsKey(name)) {
      view(out, s, d.views().get(name));
      found = true;
    }
    if (d.services().containsKey(name)) {
      service(out, s, d.services().get(name));
      found = true;
    }
    if (!found) {
      throw new UserInputException("Cannot describe \"" + name + "\": the registry " + store.file()
          + " (version " + s.version() + ") has no entity, source, feature view or feature service of that name");
    }
    return 0;
  }

  private static void entity(PrintWriter out, Entity e) {
    out.println("Entity " + e.name() + defined(e.location()));
    line(out, "description", e.description());
    out.println("  join keys: " + Describe.keys(e.joinKeys()));
  }

  private static void source(PrintWriter out, Source s) {
    out.println("Source " + s.name() + defined(s.location()));
    line(out, "description", s.description());
    out.println("  " + Describe.source(s));
  }

  private static void view(PrintWriter out, RegistrySnapshot s, FeatureView v) {
    out.println("Feature view " + v.name() + defined(v.location()));
    line(out, "description", v.description());
    line(out, "owner", v.owner());
    out.println("  entities: " + String.join(", ", v.entities()) + " (join keys " + Describe.keys(s.joinKeys(v.name()))
        + ")");
    out.println("  source: " + v.source());
    out.println("  ttl: " + Durations.format(v.ttl()) + (v.ttl().isZero() ? " (forever)" : ""));
    out.println("  online: " + v.online() + ", offline: " + v.offline());
    if (!v.tags().isEmpty()) {
      out.println("  tags: " + v.tags());
    }
    out.println("  features:");
    for (Feature f : v.features()) {
      out.println("    " + f.name() + " " + f.type() + (f.description().isEmpty() ? "" : "  " + f.description()));
    }
    List<FeatureViewVersion> versions = s.versions(v.name());
    out.println("  versions:");
    for (FeatureViewVersion ver : versions) {
      HistoryEntry h = appliedIn(s, ver);
      out.println("    v" + ver.version() + "  fingerprint " + RegistryCodec.fingerprintHex(ver.fingerprint())
          + "  applied " + ver.appliedAt()
          + (h == null ? "" : "  in registry version " + h.registryVersion() + " (hash " + shortHash(h.hash()) + ")"));
      out.println("        " + ver.features().stream().map(f -> f.name() + " " + f.type()).toList());
    }
    out.println("  history:");
    for (HistoryEntry h : s.history()) {
      if (mentions(h, v.name())) {
        out.println("    registry version " + h.registryVersion() + "  " + h.appliedAt() + "  hash "
            + shortHash(h.hash()) + "  " + h.summary());
      }
    }
  }

  private static void service(PrintWriter out, RegistrySnapshot s, FeatureService fs) {
    out.println("Feature service " + fs.name() + defined(fs.location()));
    line(out, "description", fs.description());
    line(out, "owner", fs.owner());
    out.println("  features:");
    for (ResolvedFeature f : s.resolve(fs.features())) {
      out.println("    " + f.fullName() + " " + f.feature().type() + "  (v" + f.version().version() + ")");
    }
  }

  private static HistoryEntry appliedIn(RegistrySnapshot s, FeatureViewVersion v) {
    return s.history().stream().filter(h -> h.appliedAt() != null && h.appliedAt().equals(v.appliedAt()))
        .findFirst().orElse(null);
  }

  private static boolean mentions(HistoryEntry h, String view) {
    if (h.summary() == null) {
      return false;
    }
    for (String item : h.summary().split(", ")) {
      if (item.endsWith(" feature view " + view)) {
        return true;
      }
    }
    return false;
  }

  private static String shortHash(String hash) {
    return hash == null ? "-" : hash.substring(0, Math.min(12, hash.length()));
  }

  private static void line(PrintWriter out, String label, String value) {
    if (value != null && !value.isEmpty()) {
      out.println("  " + label + ": " + value);
    }
  }

  private static String defined(SourceLocation at) {
    return at.file() == null ? "" : "  (defined at " + at + ")";
  }
}
