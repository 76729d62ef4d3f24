package dev.quiver.sdk;

import dev.quiver.offline.ExportFormat;
import dev.quiver.offline.ExportResult;
import dev.quiver.offline.Spine;
import dev.quiver.offline.TrainingSetExport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.SeekableReadChannel;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;
import java.time.Instant;
import java.util.List;

/**
 * A point-in-time-correct training set to write, from {@link FeatureStore#getHistoricalFeatures}:
 * set options, then write it with {@link #toParquet}, {@link #toArrow(Path)} or {@link #toCsv}
 * (each also writes {@code <out>.manifest.json}, see {@link TrainingSetExport}), or read it in
 * memory with {@link #toArrow(BufferAllocator)}. Not thread-safe.
 */
public final class HistoricalFeatures {
  private final FeatureStore store;
  private final Path spinePath;
  private final Spine spine;
  private final List<String> refs;
  private final String service;
  private Instant asOf;
  private boolean fullFeatureNames;
  private boolean eventTimestamps;
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

  /**
   * Add after each view's features a column {@code <view>__event_timestamp}: the event time of the
   * row picked for that spine row (null when none).
   */
  public HistoricalFeatures withEventTimestamps(boolean add) {
    this.eventTimestamps = add;
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

  /**
   * The training set in memory as Arrow record batches: iterate with {@code loadNextBatch()} and
   * {@code getVectorSchemaRoot()}; the caller closes the reader (and then its allocator). No
   * manifest is written.
   */
  public ArrowFileReader toArrow(BufferAllocator allocator) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("quiver-arrow-");
      Path out = dir.resolve("training-set.arrow");
      write(out, ExportFormat.ARROW, false);
      byte[] bytes = Files.readAllBytes(out);
      return new ArrowFileReader(new SeekableReadChannel(new ByteArrayReadableSeekableByteChannel(bytes)), allocator);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot export training set to Arrow: " + e.getMessage(), e);
    } finally {
      if (dir != null) {
        try (Stream<Path> walk = Files.walk(dir)) {
          walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
          // best effort: a temp folder
        }
      }
    }
  }

  /** Writes CSV. */
  public ExportResult toCsv(Path out) {
    return write(out, ExportFormat.CSV);
  }

  /** Writes in the given format. */
  public ExportResult write(Path out, ExportFormat format) {
    return write(out, format, true);
  }

  private ExportResult write(Path out, ExportFormat format, boolean manifest) {
    TrainingSetExport.Builder b = TrainingSetExport.builder(store.registry())
        .withManifest(manifest)
        .withStore(store.offlineStore())
        .withRepoDir(store.config().repo())
        .withOutput(out)
        .withFormat(format)
        .withAsOf(asOf)
        .withFullFeatureNames(fullFeatureNames)
        .withEventTimestamps(eventTimestamps)
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
