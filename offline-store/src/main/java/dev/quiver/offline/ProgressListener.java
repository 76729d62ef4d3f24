package dev.quiver.offline;

/** Receives progress of an export: a stage name and how many of its steps are done. */
@FunctionalInterface
public interface ProgressListener {
  ProgressListener NONE = (stage, done, total) -> { };

  /**
   * @param stage e.g. {@code "read spine"}, {@code "read driver_hourly_stats"}, {@code "write output"}
   * @param done steps done in this stage
   * @param total steps of this stage
   */
  void onProgress(String stage, long done, long total);
}
