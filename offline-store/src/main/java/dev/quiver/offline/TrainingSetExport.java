package dev.quiver.offline;

import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.UserInputException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A point-in-time-correct training-set export: for every spine row (entity keys and a time
 * {@code t}) and every requested feature, the value the ordering rule
 * ({@link dev.quiver.registry.EventOrder}) picks among the view's events with
 * {@code event_ts <= t} and, when the view's ttl is positive, {@code event_ts >= t - ttl}
 * (both inclusive); null when there is none.
 *
 * <p>With {@link Builder#withAsOf(Instant) as-of} time {@code T} only events with
 * {@code created_ts <= T} are candidates; an event without a created time compares as the
 * smallest under the ordering rule, so it is always a candidate (stream events always carry one).
 *
 * <p>Output: the spine's columns, untouched and in the spine's row order, then the features
 * named {@code feature}, or {@code view__feature} with full feature names; Parquet (snappy,
 * fixed writer settings, no timestamps in the metadata, so the same inputs give the same bytes),
 * Arrow IPC file, or CSV. Beside it, {@code <out>.manifest.json} records the registry version,
 * the hashes of the views used, every input file with size and SHA-256, the spine's SHA-256, the
 * options, and the output's SHA-256 and row count; {@link #replay} rebuilds from it.
 *
 * <p>Data per view: a view whose source is Parquet files ({@code Source.Kind.PARQUET}) is read
 * from those files (the path glob relative to {@link Builder#withRepoDir repo dir}; position =
 * (index of the file in sorted path order, row number); a file without a feature's column, written
 * before the feature was added, gives null for it); any other view from the offline
 * store's committed files of every schema version, read as the resolved version (features
 * missing in an older version are null). Only the needed columns and the date partitions inside
 * {@code [min t - ttl, max t]} are read.
 *
 * <p>Memory: when the estimated size of a view's candidate rows exceeds the
 * {@link Builder#withMemoryBudget budget} (default 1 GiB), they are partitioned by entity key
 * into temporary Parquet files and joined one partition at a time; the output is identical.
 * A spine file estimated larger than the budget is never held whole: it is streamed (Parquet row
 * groups, CSV chunks), its rows spilled with their row index by the same key hash (once per set
 * of join keys), each view joined partition by partition, and the output assembled in the
 * spine's order in chunks straight to the writer, byte-identical to the in-memory path (progress
 * stage {@code "partition spine"}). A spine built in Java is held in memory.
 */
public final class TrainingSetExport {
  public static final long DEFAULT_MEMORY_BUDGET = 1L << 30;
  public static final String DEFAULT_TIMESTAMP_COLUMN = "event_timestamp";

  final RegistrySnapshot registry;
  final OfflineStore store;
  final Path repoDir;
  final Path spinePath;
  final Spine spine;
  final List<String> features;
  final String service;
  final Path output;
  final ExportFormat format;
  final Instant asOf;
  final boolean fullFeatureNames;
  final boolean eventTimestamps;
  final long memoryBudget;
  final String timestampColumn;
  final boolean writeManifest;
  final ProgressListener progress;
  final boolean progressBar;
  final Path tempDir;
  /** Replay only: the exact input files per view, instead of listing them. */
  final java.util.Map<String, List<ExportRun.InputFile>> explicitInputs;

  private TrainingSetExport(Builder b) {
    this.registry = b.registry;
    this.store = b.store;
    this.repoDir = b.repoDir;
    this.spinePath = b.spinePath;
    this.spine = b.spine;
    this.features = b.features;
    this.service = b.service;
    this.output = b.output;
    this.format = b.format;
    this.asOf = b.asOf;
    this.fullFeatureNames = b.fullFeatureNames;
    this.eventTimestamps = b.eventTimestamps;
    this.memoryBudget = b.memoryBudget;
    this.timestampColumn = b.timestampColumn;
    this.writeManifest = b.writeManifest;
    this.progress = b.progress;
    this.progressBar = b.progressBar;
    this.tempDir = b.tempDir;
    this.explicitInputs = b.explicitInputs;
  }

  public static Builder builder(RegistrySnapshot registry) {
    return new Builder(registry);
  }

  /**
   * Runs the export: writes the output (under a temporary name, then renamed) and its manifest.
   *
   * @throws ExportInputException naming the file and column of a bad input
   * @throws UserInputException for unknown refs, a name collision or other user errors
   */
  public ExportResult run() {
    return new ExportRun(this).run();
  }

  /**
   * Rebuilds the export a manifest describes into a temporary file and checks it is
   * byte-identical to the recorded output.
   *
   * @param store the offline store (null when every view reads Parquet source files)
   * @param repoDir the feature repo, for Parquet sources (null when none)
   * @return the report when the rebuilt output is identical
   * @throws ReplayMismatchException naming the changed inputs when it is not
   */
  public static ReplayReport replay(Path manifest, RegistrySnapshot registry, OfflineStore store, Path repoDir,
                                    ProgressListener progress) {
    return ExportRun.replay(manifest, registry, store, repoDir, progress == null ? ProgressListener.NONE : progress);
  }

  /** Parses a memory size: {@code 1g}, {@code 512m}, {@code 64k}, {@code 1073741824}. */
  public static long parseMemory(String text) {
    String s = text.trim().toLowerCase(Locale.ROOT).replace("ib", "").replace("b", "");
    long mult = 1;
    if (s.endsWith("k")) {
      mult = 1L << 10;
    } else if (s.endsWith("m")) {
      mult = 1L << 20;
    } else if (s.endsWith("g")) {
      mult = 1L << 30;
    } else if (s.endsWith("t")) {
      mult = 1L << 40;
    }
    if (mult > 1) {
      s = s.substring(0, s.length() - 1);
    }
    try {
      long v = Math.multiplyExact(Long.parseLong(s.trim()), mult);
      if (v <= 0) {
        throw new NumberFormatException();
      }
      return v;
    } catch (RuntimeException e) {
      throw new UserInputException("Cannot parse memory size: \"" + text + "\" (expected e.g. 512m, 1g)");
    }
  }

  /** Options of an export. {@code build()} checks that a spine, features and an output are set. */
  public static final class Builder {
    private final RegistrySnapshot registry;
    private OfflineStore store;
    private Path repoDir;
    private Path spinePath;
    private Spine spine;
    private List<String> features;
    private String service;
    private Path output;
    private ExportFormat format = ExportFormat.PARQUET;
    private Instant asOf;
    private boolean fullFeatureNames;
    private boolean eventTimestamps;
    private long memoryBudget = DEFAULT_MEMORY_BUDGET;
    private String timestampColumn = DEFAULT_TIMESTAMP_COLUMN;
    private boolean writeManifest = true;
    private ProgressListener progress = ProgressListener.NONE;
    private boolean progressBar = true;
    private Path tempDir;
    private java.util.Map<String, List<ExportRun.InputFile>> explicitInputs;

    private Builder(RegistrySnapshot registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** The offline store to read views fed by streams from. */
    public Builder withStore(OfflineStore store) {
      this.store = store;
      return this;
    }

    /** The feature repo directory that Parquet source globs are relative to. */
    public Builder withRepoDir(Path repoDir) {
      this.repoDir = repoDir;
      return this;
    }

    /** A spine file: Parquet, or CSV when the name ends in {@code .csv}. */
    public Builder withSpine(Path spineFile) {
      this.spinePath = spineFile;
      this.spine = null;
      return this;
    }

    /** A spine built in Java (the manifest then records no spine file, and cannot be replayed). */
    public Builder withSpine(Spine spineRows) {
      this.spine = spineRows;
      this.spinePath = null;
      return this;
    }

    /** Feature references {@code view:feature} or {@code view@vN:feature}. */
    public Builder withFeatures(List<String> refs) {
      this.features = List.copyOf(refs);
      return this;
    }

    /** The features of a feature service. */
    public Builder withService(String serviceName) {
      this.service = serviceName;
      return this;
    }

    public Builder withOutput(Path out) {
      this.output = out;
      return this;
    }

    public Builder withFormat(ExportFormat f) {
      this.format = Objects.requireNonNull(f, "format");
      return this;
    }

    /** Only events created at or before this time are candidates (null = no limit). */
    public Builder withAsOf(Instant t) {
      this.asOf = t;
      return this;
    }

    public Builder withFullFeatureNames(boolean full) {
      this.fullFeatureNames = full;
      return this;
    }

    /**
     * Whether to add, after each view's features, a column {@code <view>__event_timestamp}
     * (TIMESTAMP): the event time of the row the join picked for that spine row, null when none
     * (default false). Refused for a spine file larger than the memory budget.
     */
    public Builder withEventTimestamps(boolean add) {
      this.eventTimestamps = add;
      return this;
    }

    /** Heap the export may use for candidate rows before it partitions and spills (bytes). */
    public Builder withMemoryBudget(long bytes) {
      this.memoryBudget = bytes;
      return this;
    }

    /** The name of the spine's timestamp column (default {@code event_timestamp}). */
    public Builder withTimestampColumn(String name) {
      this.timestampColumn = name;
      return this;
    }

    /** Whether to write {@code <out>.manifest.json} (default true). */
    public Builder withManifest(boolean write) {
      this.writeManifest = write;
      return this;
    }

    public Builder withProgress(ProgressListener listener) {
      this.progress = listener == null ? ProgressListener.NONE : listener;
      return this;
    }

    /** Whether to show a progress bar on a terminal for exports over a second (default true). */
    public Builder withProgressBar(boolean show) {
      this.progressBar = show;
      return this;
    }

    /** Where spill files go (default: beside the output). */
    public Builder withTempDir(Path dir) {
      this.tempDir = dir;
      return this;
    }

    Builder withExplicitInputs(java.util.Map<String, List<ExportRun.InputFile>> inputs) {
      this.explicitInputs = inputs;
      return this;
    }

    public TrainingSetExport build() {
      if (spinePath == null && spine == null) {
        throw new UserInputException("Cannot export training set: no spine given");
      }
      if ((features == null || features.isEmpty()) == (service == null)) {
        throw new UserInputException("Cannot export training set: give either feature references or a service");
      }
      if (output == null) {
        throw new UserInputException("Cannot export training set: no output path given");
      }
      if (memoryBudget <= 0) {
        throw new UserInputException("Cannot export training set: memory budget must be positive, got " + memoryBudget);
      }
      if (timestampColumn == null || timestampColumn.isBlank()) {
        throw new UserInputException("Cannot export training set: empty timestamp column name");
      }
      return new TrainingSetExport(this);
    }
  }
}
