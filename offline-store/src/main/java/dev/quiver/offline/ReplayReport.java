package dev.quiver.offline;

import java.util.List;

/**
 * The outcome of replaying a manifest.
 *
 * @param identical whether the rebuilt output is byte-identical to the recorded one
 * @param changedInputs inputs (spine, feature files, view definitions) whose content differs from
 *     the manifest, each as {@code "<path or view>: <what changed>"}
 */
public record ReplayReport(boolean identical, String expectedSha256, String actualSha256, List<String> changedInputs) {
  public ReplayReport {
    changedInputs = List.copyOf(changedInputs);
  }
}
