package dev.quiver.sdk;

import dev.quiver.offline.ExportFormat;
import dev.quiver.offline.ExportResult;
import dev.quiver.offline.Spine;
import dev.quiver.offline.TrainingSetExport;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * A point-in-time-correct training set to write, from {@link FeatureStore#getHistoricalFeatures}:
 * set options, then write it with {@link #toParquet}, {@link #toArrow} or {@link #toCsv}. Each
 * write also writes {@code <out>.manifest.json} (see {@link TrainingSetExport}). Not thread-safe.
 */
public final class HistoricalFeatures {
  private final FeatureStore store;
  private final Path spinePath;
  private final Spine spine;
  private final List<String> refs;
  private final String service;
  private Instant asOf;
  private boolean fullFeatureNames;
  private long memoryBudget = TrainingSetExport.DEFAULT_MEMORY_BUDGET;
  private String timestampColumn = TrainingSetExport.DEFAULT_TIMESTAMP_COLUMN;
  private boolean progressBar;

  HistoricalFeatures(FeatureStore store, Path spinePath, Spine spine, List<String> refs, String service) {
    this.store = store;
    this.spinePath = spinePath;
    this.spine = spine;
    this.refs = refs == null ? null : List.copyOf(refs);
    this.service = service;
  }

  /** Only events created at or before {@code t} count (rebuild a training set as of a past day). */
  public HistoricalFeatures withAsOf(Instant t) {
    this.asOf = t;
    return this;
  }

  /** Name feature columns {@code view__feature} instead of {@code feature}. */
  public HistoricalFeatures withFullFeatureNames(boolean full) {
    this.fullFeatureNames = full;
    return this;
  }

  /** Heap for candidate rows before spilling to disk, in bytes (default 1 GiB). */
  public HistoricalFeatures withMemoryBudget(long bytes) {
    this.memoryBudget = bytes;
    return this;
  }

  /** The spine's timestamp column (default {@code event_timestamp}). */
  public HistoricalFeatures withTimestampColumn(String name) {
    this.timestampColumn = name;
    return this;
  }

  /** Show a progress bar on a terminal for exports over a second (default off in the SDK). */
  public HistoricalFeatures withProgressBar(boolean show) {
    this.progressBar = show;
    return this;
  }

  /** Writes Parquet. */
  public ExportResult toParquet(Path out) {
    return write(out, ExportFormat.PARQUET);
  }

  /** Writes an Arrow IPC file. */
  public ExportResult toArrow(Path out) {
    return write(out, ExportFormat.ARROW);
  }

  /** Writes CSV. */
  public ExportResult toCsv(Path out) {
    return write(out, ExportFormat.CSV);
  }

  /** Writes in the given format. */
  public ExportResult write(Path out, ExportFormat format) {
    TrainingSetExport.Builder b = TrainingSetExport.builder(store.registry())
        .withStore(store.offlineStore())
        .withRepoDir(store.config().repo())
        .withOutput(out)
        .withFormat(format)
        .withAsOf(asOf)
        .withFullFeatureNames(fullFeatureNames)
        .withMemoryBudget(memoryBudget)
        .withTimestampColumn(timestampColumn)
        .withProgressBar(progressBar);
    if (spinePath != null) {
      b.withSpine(spinePath);
    } else {
      b.withSpine(spine);
    }
    if (service != null) {
      b.withService(service);
    } else {
      b.withFeatures(refs);
    }
    return b.build().run();
  }
}
