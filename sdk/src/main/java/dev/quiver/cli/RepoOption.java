package dev.quiver.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code -r/--repo DIR} option every command takes; mix it in with {@code @Mixin RepoOption repo}. */
public final class RepoOption {
  @Option(names = {"-r", "--repo"}, paramLabel = "DIR", defaultValue = ".",
      description = "The feature repo folder (default: the current folder).")
  Path repo;

  /** The repo folder as given (relative to the working folder when not absolute). */
  public Path repo() {
    return repo;
  }
}
