package dev.quiver.materializer;

import dev.quiver.offline.CommittedFile;
import dev.quiver.offline.OfflineStore;
import dev.quiver.offline.internal.Column;
import dev.quiver.offline.internal.ParquetIo;
import dev.quiver.offline.internal.Table;
import dev.quiver.registry.Feature;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.registry.JoinKey;
import dev.quiver.registry.OnlineSink;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import dev.quiver.registry.Timestamps;
import dev.quiver.registry.UserInputException;
import dev.quiver.registry.ValueType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.parquet.schema.MessageType;

/**
 * Loads the events of a time range into the online store, under the same ordering rule as the
 * stream, so re-running it changes nothing: {@code quiver materialize --start T1 --end T2}.
 *
 * <p>Where events come from, per view: a view with a Kafka source is read from the offline store
 * (its committed files whose event times overlap the range; each event keeps its Kafka position);
 * a view with a Parquet batch source is read from the source's files (path glob relative to the
 * repo folder), in sorted path order, the position being (index of the file in that order, row
 * number in the file), so ties break the same way on every run. A Parquet source's columns carry
 * the join keys, the source's timestamp field(s) and the features by name; missing feature
 * columns are null, extra columns are ignored. Only events with {@code start <= event time < end}
 * are loaded; rows with a null join key or event time are skipped and counted.
 */
public final class BatchMaterializer {
  public static final int DEFAULT_BATCH_SIZE = 10_000;

  /** What a run loaded, per view. */
  public record Result(Map<String, Long> eventsPerView, Map<String, Long> skippedPerView) {
    public long events() {
      return eventsPerView.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  private final RegistrySnapshot registry;
  private final OnlineSink online;
  private final OfflineStore offline;
  private final Path repoDir;
  private final int batchSize;

  private BatchMaterializer(Builder b) {
    this.registry = b.registry;
    this.online = b.online;
    this.offline = b.offline;
    this.repoDir = b.repoDir;
    this.batchSize = b.batchSize;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Loads {@code [start, end)} of these views (empty = every online view) into the online store.
   *
   * @throws dev.quiver.registry.NoSuchFeatureViewException naming an unknown view
   * @throws UserInputException naming the file and column when a source file lacks a required column
   */
  public Result materialize(Instant start, Instant end, Collection<String> views) {
    if (!start.isBefore(end)) {
      throw new UserInputException("Cannot materialize: start " + start + " is not before end " + end);
    }
    long from = Timestamps.toMicros(start);
    long to = Timestamps.toMicros(end);
    List<String> names = views.isEmpty()
        ? registry.definitions().views().values().stream().filter(FeatureView::online).map(FeatureView::name).toList()
        : List.copyOf(views);
    Map<String, Long> loaded = new LinkedHashMap<>();
    Map<String, Long> skipped = new LinkedHashMap<>();
    for (String view : names) {
      FeatureView def = registry.view(view);
      if (!def.online()) {
        loaded.put(view, 0L);
        continue;
      }
      Source src = registry.source(view);
      long[] counts = src.kind() == Source.Kind.KAFKA
          ? fromOfflineStore(view, from, to)
          : fromParquetSource(view, src, from, to);
      loaded.put(view, counts[0]);
      skipped.put(view, counts[1]);
    }
    return new Result(loaded, skipped);
  }

  private long[] fromOfflineStore(String view, long from, long to) {
    if (offline == null) {
      throw new UserInputException("Cannot materialize view " + view + " from its Kafka history: no offline store given");
    }
    long[] counts = new long[2];
    List<FeatureEvent> batch = new ArrayList<>();
    for (CommittedFile f : offline.committedFiles(view)) {
      if (f.maxEventMicros() < from || f.minEventMicros() >= to) {
        continue;
      }
      FeatureViewVersion ver = registry.version(view, f.schemaVersion());
      List<String> cols = new ArrayList<>();
      List<ValueType> types = new ArrayList<>();
      ver.joinKeys().forEach(k -> { cols.add(k.name()); types.add(k.type()); });
      cols.add(FeatureViewVersion.EVENT_TIMESTAMP);
      types.add(ValueType.TIMESTAMP);
      cols.add("created_timestamp");
      types.add(ValueType.TIMESTAMP);
      cols.add("_partition");
      types.add(ValueType.INT32);
      cols.add("_offset");
      types.add(ValueType.INT64);
      ver.features().forEach(x -> { cols.add(x.name()); types.add(x.type()); });
      Table t = read(f.path(), cols, types);
      int n = ver.joinKeys().size();
      Column ts = t.column(FeatureViewVersion.EVENT_TIMESTAMP);
      Column created = t.column("created_timestamp");
      Column part = t.column("_partition");
      Column off = t.column("_offset");
      for (int i = 0; i < t.rows(); i++) {
        long micros = ts.getLong(i);
        if (micros < from || micros >= to) {
          continue;
        }
        List<Object> keys = new ArrayList<>(n);
        for (JoinKey k : ver.joinKeys()) {
          keys.add(t.column(k.name()).value(i));
        }
        List<Object> values = new ArrayList<>(ver.features().size());
        for (Feature x : ver.features()) {
          values.add(t.column(x.name()).value(i));
        }
        batch.add(new FeatureEvent(view, ver.version(), keys, micros,
            created.isNull(i) ? FeatureEvent.NO_CREATED_TIME : created.getLong(i),
            part.getInt(i), off.getLong(i), values));
        counts[0]++;
        flushIfFull(batch);
      }
    }
    flush(batch);
    return counts;
  }

  private long[] fromParquetSource(String view, Source src, long from, long to) {
    FeatureViewVersion ver = registry.currentVersion(view);
    List<Path> files = sourceFiles(src);
    long[] counts = new long[2];
    List<FeatureEvent> batch = new ArrayList<>();
    for (int fileIndex = 0; fileIndex < files.size(); fileIndex++) {
      Path file = files.get(fileIndex);
      Set<String> present;
      try {
        MessageType schema = ParquetIo.schema(file);
        present = new java.util.HashSet<>();
        schema.getFields().forEach(fld -> present.add(fld.getName()));
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read Parquet source file " + file + " of view " + view + ": " + e.getMessage(), e);
      }
      List<String> cols = new ArrayList<>();
      List<ValueType> types = new ArrayList<>();
      for (JoinKey k : ver.joinKeys()) {
        require(present, file, view, k.name());
        cols.add(k.name());
        types.add(k.type());
      }
      require(present, file, view, src.timestampField());
      cols.add(src.timestampField());
      types.add(ValueType.TIMESTAMP);
      String createdField = src.createdTimestamp().filter(present::contains).orElse(null);
      if (src.createdTimestamp().isPresent() && createdField == null) {
        require(present, file, view, src.createdTimestampField());
      }
      if (createdField != null) {
        cols.add(createdField);
        types.add(ValueType.TIMESTAMP);
      }
      for (Feature x : ver.features()) {
        if (present.contains(x.name())) {
          cols.add(x.name());
          types.add(x.type());
        }
      }
      Table t = read(file, cols, types);
      Column ts = t.column(src.timestampField());
      Column created = createdField == null ? null : t.column(createdField);
      rows:
      for (int i = 0; i < t.rows(); i++) {
        if (ts.isNull(i)) {
          counts[1]++;
          continue;
        }
        long micros = ts.getLong(i);
        if (micros < from || micros >= to) {
          continue;
        }
        List<Object> keys = new ArrayList<>();
        for (JoinKey k : ver.joinKeys()) {
          Object v = t.column(k.name()).value(i);
          if (v == null) {
            counts[1]++;
            continue rows;
          }
          keys.add(v);
        }
        List<Object> values = new ArrayList<>(ver.features().size());
        for (Feature x : ver.features()) {
          Column c = t.column(x.name());
          values.add(c == null ? null : c.value(i));
        }
        long c = created == null || created.isNull(i) ? FeatureEvent.NO_CREATED_TIME : created.getLong(i);
        batch.add(new FeatureEvent(view, ver.version(), keys, micros, c, fileIndex, i, values));
        counts[0]++;
        flushIfFull(batch);
      }
    }
    flush(batch);
    return counts;
  }

  /** The files of a Parquet source, in sorted path order (the order that breaks ties). */
  List<Path> sourceFiles(Source src) {
    String glob = src.path();
    Path base = repoDir == null ? Path.of("") : repoDir;
    Path pattern = base.resolve(glob).normalize();
    // The fixed part of the glob: the longest prefix without glob characters.
    Path root = pattern.getRoot() == null ? Path.of("") : pattern.getRoot();
    for (Path part : pattern) {
      if (part.toString().matches(".*[*?\\[{].*")) {
        break;
      }
      root = root.resolve(part);
    }
    if (Files.isRegularFile(root)) {
      return List.of(root);
    }
    PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + pattern.toAbsolutePath());
    if (!Files.isDirectory(root)) {
      throw new UserInputException("Cannot read Parquet source " + src.name() + ": no files match " + glob);
    }
    try (Stream<Path> walk = Files.walk(root)) {
      List<Path> files = walk.filter(Files::isRegularFile).map(Path::toAbsolutePath).filter(matcher::matches)
          .sorted().toList();
      if (files.isEmpty()) {
        throw new UserInputException("Cannot read Parquet source " + src.name() + ": no files match " + glob);
      }
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list Parquet source " + src.name() + ": " + e.getMessage(), e);
    }
  }

  private static void require(Set<String> present, Path file, String view, String column) {
    if (!present.contains(column)) {
      throw new UserInputException("Cannot materialize view " + view + " from " + file + ": column " + column
          + " is missing");
    }
  }

  private static Table read(Path file, List<String> cols, List<ValueType> types) {
    try {
      return ParquetIo.read(file, cols, types);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read Parquet file " + file + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new UserInputException("Cannot read Parquet file " + file + ": " + e.getMessage(), e);
    }
  }

  private void flushIfFull(List<FeatureEvent> batch) {
    if (batch.size() >= batchSize) {
      flush(batch);
    }
  }

  private void flush(List<FeatureEvent> batch) {
    if (!batch.isEmpty()) {
      online.write(List.copyOf(batch), Map.of());
      batch.clear();
    }
  }

  /** Options of a {@link BatchMaterializer}. */
  public static final class Builder {
    private RegistrySnapshot registry;
    private OnlineSink online;
    private OfflineStore offline;
    private Path repoDir;
    private int batchSize = DEFAULT_BATCH_SIZE;

    private Builder() {}

    public Builder withRegistry(RegistrySnapshot registry) { this.registry = registry; return this; }
    public Builder withOnlineSink(OnlineSink online) { this.online = online; return this; }
    /** The offline store holding the history of views with a Kafka source. */
    public Builder withOfflineStore(OfflineStore offline) { this.offline = offline; return this; }
    /** The feature repo folder that relative Parquet source paths start from (default: the working folder). */
    public Builder withRepoDir(Path repoDir) { this.repoDir = repoDir; return this; }
    /** Events per online write; default {@value #DEFAULT_BATCH_SIZE}. */
    public Builder withBatchSize(int events) { this.batchSize = events; return this; }

    public BatchMaterializer build() {
      Objects.requireNonNull(registry, "Cannot build batch materializer: registry is not set");
      Objects.requireNonNull(online, "Cannot build batch materializer: online sink is not set");
      if (batchSize < 1) {
        throw new IllegalArgumentException("Cannot build batch materializer: batch size " + batchSize + " is not positive");
      }
      return new BatchMaterializer(this);
    }
  }
}
