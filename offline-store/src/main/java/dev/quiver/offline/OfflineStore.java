package dev.quiver.offline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.registry.JoinKey;
import dev.quiver.registry.OfflineSink;
import dev.quiver.registry.OffsetRange;
import dev.quiver.registry.QuiverException;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.ValueType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.avro.JsonProperties;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;

/**
 * The offline store: Parquet history of every view, written by the materializer and read by
 * {@link TrainingSetExport}.
 *
 * <h2>Layout</h2>
 * <pre>
 * &lt;root&gt;/&lt;view&gt;/v&lt;version&gt;/date=&lt;YYYY-MM-DD&gt;/part-&lt;topic&gt;-&lt;partition&gt;-&lt;firstOffset&gt;-&lt;lastOffset&gt;.parquet
 * &lt;root&gt;/&lt;view&gt;/_commits/&lt;sequence, 20 digits&gt;.json
 * </pre>
 * A data file holds the events of one schema version, one UTC event date and one source
 * (topic, partition), sorted by offset; its name leaves out {@code <topic>-} when the events
 * came without a topic (and so did names written before format version 2). Columns: the join keys (required), {@code event_timestamp}
 * (timestamp-micros UTC, required), {@code created_timestamp} (timestamp-micros UTC, null when
 * the event has none), {@code _partition} (int), {@code _offset} (long), then the features of the
 * version (nullable), typed by {@link ValueType}'s mapping; snappy.
 *
 * <h2>Commit record, format version 2</h2>
 * One append is one commit. The data files are written under temporary names
 * ({@code .tmp-*.parquet}), fsync'd and renamed into place; then the commit record is written
 * to {@code _commits/.tmp-*}, fsync'd and renamed to its final name. It is UTF-8 JSON:
 * <pre>
 * {
 *   "format" : "quiver-offline-commit",
 *   "formatVersion" : 2,
 *   "view" : "driver_hourly_stats",
 *   "sequence" : 1,
 *   "ranges" : [ { "topic" : "quiver.driver_hourly_stats", "partition" : 0, "firstOffset" : 0, "lastOffset" : 9 } ],
 *   "positions" : [ { "topic" : "quiver.driver_hourly_stats", "partition" : 0, "next" : 12 } ],
 *   "files" : [ { "path" : "v1/date=2024-05-01/part-quiver.driver_hourly_stats-0-0-9.parquet", "schemaVersion" : 1,
 *                 "date" : "2024-05-01", "topic" : "quiver.driver_hourly_stats", "partition" : 0,
 *                 "firstOffset" : 0, "lastOffset" : 9, "rows" : 10, "minEventMicros" : ..., "maxEventMicros" : ... } ]
 * }
 * </pre>
 * {@code ranges} are the inclusive source offset ranges the append covered, per (topic,
 * partition); {@code positions} the view's positions it committed (see {@link
 * OfflineSink#append}): a record may have no files and no ranges and only move positions.
 * {@code path} is relative to the view's directory. A reader rejects another {@code format} or
 * a {@code formatVersion} it does not know.
 *
 * <p>Format version 1 (still read) had no {@code topic} in ranges and files and no {@code
 * positions}. Its ranges are taken to be of the view's Kafka topic in the registry at open (the
 * topic is not recorded anywhere else; a view whose topic changed before the upgrade has its
 * version-1 ranges attributed to the new topic, and events of the new topic at those offsets
 * would be taken as committed). It contributes no positions: a store holding only version-1
 * records has position 0 everywhere.
 *
 * <h2>Recovery</h2>
 * On {@link #open}, temporary files and data files that no commit record names (left by a crash
 * between renaming the data files and renaming the commit record) are removed, so either all of
 * an append is visible or none of it. {@link #append} skips events whose offsets are already
 * committed, so a materializer replaying after a crash writes no duplicates.
 */
public final class OfflineStore implements OfflineSink {
  public static final String COMMIT_FORMAT = "quiver-offline-commit";
  public static final int COMMIT_FORMAT_VERSION = 2;
  static final String COMMITS_DIR = "_commits";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path root;
  private final Supplier<RegistrySnapshot> registry;
  private final Map<String, ViewState> views = new TreeMap<>();
  private boolean closed;
  /** Held while this instance may write; null for a reader (another process writes). */
  private FileChannel lockChannel;
  private java.nio.channels.FileLock writerLock;

  /** The file whose exclusive lock marks the one writer of a store. */
  public static final String LOCK_FILE = ".writer.lock";

  /** A source partition: (Kafka topic, partition). */
  private record SourcePartition(String topic, int partition) {}

  private static final class ViewState {
    long nextSequence = 1;
    final List<CommittedFile> files = new ArrayList<>();
    final Map<SourcePartition, List<OffsetRange>> ranges = new java.util.HashMap<>();
    final Map<SourcePartition, Long> positions = new java.util.HashMap<>();
  }

  private OfflineStore(Path root, Supplier<RegistrySnapshot> registry) {
    this.root = root;
    this.registry = registry;
  }

  /** Opens (creating) a store at {@code root}, reading commit records and removing uncommitted files. */
  public static OfflineStore open(Path root, RegistrySnapshot registry) {
    Objects.requireNonNull(registry, "registry");
    return open(root, () -> registry);
  }

  /**
   * As {@link #open(Path, RegistrySnapshot)}, resolving view versions against the latest snapshot.
   *
   * <p>One process writes a store at a time: the writer holds an exclusive lock on
   * {@value #LOCK_FILE} in the root. If another process (e.g. a running {@code quiver serve})
   * holds it, the store opens for reading only: it removes nothing (a file the writer has put in
   * place but not yet committed is simply not read) and {@link #append} is refused.
   */
  public static OfflineStore open(Path root, Supplier<RegistrySnapshot> registry) {
    OfflineStore s = new OfflineStore(root, registry);
    try {
      Files.createDirectories(root);
      s.tryLockForWriting();
      s.readViews();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot open offline store " + root + ": " + e.getMessage(), e);
    }
    return s;
  }

  public Path root() {
    return root;
  }

  /** Opens a store for reading only, whoever writes it: no recovery, no lock, no appends. */
  public static OfflineStore openReadOnly(Path root, Supplier<RegistrySnapshot> registry) {
    OfflineStore s = new OfflineStore(root, registry);
    try {
      if (Files.isDirectory(root)) {
        s.readViews();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot open offline store " + root + ": " + e.getMessage(), e);
    }
    return s;
  }

  /** Reads every view's commit records (and, as the writer, removes what none names). */
  private void readViews() throws IOException {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
      for (Path viewDir : ds) {
        String name = viewDir.getFileName().toString();
        if (Files.isDirectory(viewDir) && !name.startsWith("_") && !name.startsWith(".")) {
          views.put(name, recover(name, viewDir));
        }
      }
    }
  }

  /** Whether this instance holds the writer lock (false: another process writes the store). */
  public synchronized boolean isWriter() {
    return writerLock != null;
  }

  private void tryLockForWriting() throws IOException {
    FileChannel ch = FileChannel.open(root.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      writerLock = ch.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      writerLock = null; // another instance in this JVM writes
    }
    if (writerLock == null) {
      ch.close();
    } else {
      lockChannel = ch;
    }
  }

  private ViewState recover(String view, Path viewDir) throws IOException {
    // A reader must never delete: the writer may be between renaming a file into place and
    // writing the commit record that names it.
    boolean mayRepair = writerLock != null;
    ViewState st = new ViewState();
    Set<Path> named = new HashSet<>();
    Path commits = viewDir.resolve(COMMITS_DIR);
    if (Files.isDirectory(commits)) {
      List<Path> records = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(commits)) {
        for (Path p : ds) {
          if (p.getFileName().toString().startsWith(".tmp-")) {
            if (mayRepair) {
              Files.deleteIfExists(p);
            }
          } else if (p.getFileName().toString().endsWith(".json")) {
            records.add(p);
          }
        }
      }
      records.sort(Comparator.naturalOrder());
      for (Path p : records) {
        CommitRecord rec = CommitRecord.parse(p, Files.readString(p, StandardCharsets.UTF_8), viewDir,
            defaultTopic(view));
        if (!rec.view.equals(view)) {
          throw new QuiverException("Cannot read commit record " + p + ": it names view " + rec.view
              + " but lies under " + view);
        }
        st.nextSequence = Math.max(st.nextSequence, rec.sequence + 1);
        st.files.addAll(rec.files);
        for (CommittedFile f : rec.files) {
          named.add(f.path());
        }
        for (OffsetRange r : rec.ranges) {
          addRange(st, r);
        }
        rec.positions.forEach((sp, next) -> st.positions.merge(sp, next, Math::max));
      }
    }
    try (Stream<Path> walk = Files.walk(viewDir)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (!Files.isRegularFile(p) || p.startsWith(commits)) {
          continue;
        }
        String fn = p.getFileName().toString();
        if (mayRepair && (fn.startsWith(".tmp-") || (fn.endsWith(".parquet") && !named.contains(p)))) {
          Files.deleteIfExists(p);
        }
      }
    }
    return st;
  }

  /**
   * The topic of events appended without one, and of format-version-1 ranges: the view's Kafka
   * topic in the registry now, or {@code ""} when the view is unknown or not fed by Kafka.
   */
  private String defaultTopic(String view) {
    RegistrySnapshot reg = registry.get();
    if (reg == null || !reg.definitions().views().containsKey(view)) {
      return "";
    }
    dev.quiver.registry.Source src = reg.source(view);
    return src.kind() == dev.quiver.registry.Source.Kind.KAFKA ? src.topicFor(view) : "";
  }

  private static void addRange(ViewState st, OffsetRange r) {
    List<OffsetRange> list = st.ranges.computeIfAbsent(new SourcePartition(r.topic(), r.partition()), k -> new ArrayList<>());
    list.add(r);
    list.sort(Comparator.comparingLong(OffsetRange::firstOffset));
    List<OffsetRange> merged = new ArrayList<>();
    for (OffsetRange x : list) {
      if (!merged.isEmpty() && merged.get(merged.size() - 1).lastOffset() >= x.firstOffset() - 1) {
        OffsetRange last = merged.remove(merged.size() - 1);
        merged.add(new OffsetRange(x.topic(), x.partition(), last.firstOffset(), Math.max(last.lastOffset(), x.lastOffset())));
      } else {
        merged.add(x);
      }
    }
    list.clear();
    list.addAll(merged);
  }

  /**
   * Appends events without positions, taking them to come from the view's Kafka topic in the
   * registry now ({@code ""} for a view not fed by Kafka); see {@link #append(String, String, List, Map)}.
   */
  public void append(String view, List<FeatureEvent> events) {
    append(view, defaultTopic(view), events, Map.of());
  }

  @Override
  public synchronized void append(String view, String topic, List<FeatureEvent> events, Map<Integer, Long> positions) {
    checkOpen();
    Objects.requireNonNull(topic, "topic");
    if (writerLock == null) {
      throw new QuiverException("Cannot append to offline store " + root
          + ": another process writes it (it holds " + LOCK_FILE + "); this one may only read");
    }
    ViewState known = views.get(view);
    ViewState st = known != null ? known : new ViewState();
    Map<SourcePartition, Long> moved = new TreeMap<>(Comparator.comparing(SourcePartition::topic)
        .thenComparingInt(SourcePartition::partition));
    for (Map.Entry<Integer, Long> p : positions.entrySet()) {
      SourcePartition sp = new SourcePartition(topic, p.getKey());
      if (p.getValue() > st.positions.getOrDefault(sp, 0L)) {
        moved.put(sp, p.getValue());
      }
    }
    RegistrySnapshot reg = registry.get();
    // group by (schema version, date, partition); drop events already committed and duplicates
    Map<String, TreeMap<Long, FeatureEvent>> groups = new TreeMap<>();
    Map<Integer, long[]> ranges = new TreeMap<>();
    for (FeatureEvent e : events) {
      if (!e.view().equals(view)) {
        throw new IllegalArgumentException("Cannot append event of view " + e.view() + " to view " + view);
      }
      long[] r = ranges.computeIfAbsent(e.partition(), k -> new long[] {Long.MAX_VALUE, Long.MIN_VALUE});
      r[0] = Math.min(r[0], e.offset());
      r[1] = Math.max(r[1], e.offset());
      if (isCommitted(st, topic, e.partition(), e.offset())) {
        continue;
      }
      LocalDate date = dateOf(e.eventMicros());
      String g = e.schemaVersion() + "|" + date + "|" + e.partition();
      groups.computeIfAbsent(g, k -> new TreeMap<>()).put(e.offset(), e);
    }
    if (groups.isEmpty() && moved.isEmpty()) {
      return;
    }
    Path viewDir = root.resolve(view);
    List<CommittedFile> written = new ArrayList<>();
    try {
      for (TreeMap<Long, FeatureEvent> g : groups.values()) {
        FeatureEvent first = g.firstEntry().getValue();
        FeatureViewVersion ver = reg.version(view, first.schemaVersion());
        LocalDate date = dateOf(first.eventMicros());
        Path dir = viewDir.resolve("v" + ver.version()).resolve("date=" + date);
        Files.createDirectories(dir);
        Path target = dir.resolve("part-" + (topic.isEmpty() ? "" : topic + "-") + first.partition() + "-"
            + g.firstKey() + "-" + g.lastKey() + ".parquet");
        if (Files.exists(target)) {
          throw new QuiverException("Cannot append to view " + view + ": file " + target + " already exists");
        }
        Path tmp = dir.resolve(".tmp-" + UUID.randomUUID() + ".parquet");
        long[] minMax = writeFile(tmp, ver, g.values());
        fsync(tmp);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        fsync(dir);
        written.add(new CommittedFile(view, ver.version(), date, first.partition(), g.firstKey(), g.lastKey(),
            g.size(), minMax[0], minMax[1], target));
      }
      if (!written.isEmpty()) {
        CrashPoint.reached(CrashPoint.BEFORE_COMMIT_RECORD);
      }
      List<OffsetRange> rs = new ArrayList<>();
      ranges.forEach((p, r) -> rs.add(new OffsetRange(topic, p, r[0], r[1])));
      long seq = st.nextSequence;
      String json = CommitRecord.format(view, seq, topic, rs, moved, written, viewDir);
      Path commits = viewDir.resolve(COMMITS_DIR);
      Files.createDirectories(commits);
      Path tmp = commits.resolve(".tmp-" + UUID.randomUUID());
      Files.writeString(tmp, json, StandardCharsets.UTF_8);
      fsync(tmp);
      Files.move(tmp, commits.resolve(String.format("%020d.json", seq)), StandardCopyOption.ATOMIC_MOVE);
      fsync(commits);
      views.putIfAbsent(view, st);
      st.nextSequence = seq + 1;
      st.files.addAll(written);
      for (OffsetRange r : rs) {
        addRange(st, r);
      }
      moved.forEach((sp, next) -> st.positions.merge(sp, next, Math::max));
    } catch (IOException e) {
      for (CommittedFile f : written) {
        try {
          Files.deleteIfExists(f.path());
        } catch (IOException ignored) {
          // removed on next open
        }
      }
      throw new UncheckedIOException("Cannot append to offline store view " + view + ": " + e.getMessage(), e);
    }
  }

  private static boolean isCommitted(ViewState st, String topic, int partition, long offset) {
    List<OffsetRange> list = st.ranges.get(new SourcePartition(topic, partition));
    if (list == null) {
      return false;
    }
    for (OffsetRange r : list) {
      if (r.contains(offset)) {
        return true;
      }
    }
    return false;
  }

  static LocalDate dateOf(long micros) {
    return LocalDate.ofEpochDay(Math.floorDiv(micros, 86_400_000_000L));
  }

  /** The Avro schema of a data file of this version (see the class comment). */
  public static Schema fileSchema(FeatureViewVersion ver) {
    List<Schema.Field> fields = new ArrayList<>();
    for (JoinKey k : ver.joinKeys()) {
      fields.add(new Schema.Field(k.name(), k.type().avroSchema(), null, (Object) null));
    }
    fields.add(new Schema.Field("event_timestamp", ValueType.TIMESTAMP.avroSchema(), null, (Object) null));
    fields.add(new Schema.Field("created_timestamp",
        Schema.createUnion(Schema.create(Schema.Type.NULL), ValueType.TIMESTAMP.avroSchema()), null, JsonProperties.NULL_VALUE));
    fields.add(new Schema.Field("_partition", Schema.create(Schema.Type.INT), null, (Object) null));
    fields.add(new Schema.Field("_offset", Schema.create(Schema.Type.LONG), null, (Object) null));
    for (dev.quiver.registry.Feature f : ver.features()) {
      fields.add(new Schema.Field(f.name(), Schema.createUnion(Schema.create(Schema.Type.NULL), f.type().avroSchema()),
          null, JsonProperties.NULL_VALUE));
    }
    return Schema.createRecord(ver.view(), null, "quiver.offline", false, fields);
  }

  private static long[] writeFile(Path file, FeatureViewVersion ver, Iterable<FeatureEvent> events) throws IOException {
    Schema schema = fileSchema(ver);
    PlainParquetConfiguration conf = new PlainParquetConfiguration();
    conf.set("parquet.avro.write-old-list-structure", "false");
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    List<JoinKey> keys = ver.joinKeys();
    List<dev.quiver.registry.Feature> feats = ver.features();
    try (ParquetWriter<GenericRecord> w = AvroParquetWriter.<GenericRecord>builder(new LocalOutputFile(file))
        .withSchema(schema).withDataModel(GenericData.get()).withConf(conf)
        .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
        .withCompressionCodec(CompressionCodecName.SNAPPY).build()) {
      for (FeatureEvent e : events) {
        if (e.keys().size() != keys.size() || e.values().size() != feats.size()) {
          throw new IllegalArgumentException("Cannot append event of view " + ver.view() + "@v" + ver.version()
              + " at partition " + e.partition() + " offset " + e.offset() + ": expected " + keys.size()
              + " keys and " + feats.size() + " values but got " + e.keys().size() + " and " + e.values().size());
        }
        GenericData.Record rec = new GenericData.Record(schema);
        int i = 0;
        for (int k = 0; k < keys.size(); k++) {
          rec.put(i++, keys.get(k).type().toAvro(e.keys().get(k)));
        }
        rec.put(i++, e.eventMicros());
        rec.put(i++, e.createdMicros() == FeatureEvent.NO_CREATED_TIME ? null : e.createdMicros());
        rec.put(i++, e.partition());
        rec.put(i++, e.offset());
        for (int f = 0; f < feats.size(); f++) {
          rec.put(i++, feats.get(f).type().toAvro(e.values().get(f)));
        }
        w.write(rec);
        min = Math.min(min, e.eventMicros());
        max = Math.max(max, e.eventMicros());
      }
    }
    return new long[] {min, max};
  }

  static void fsync(Path p) throws IOException {
    boolean dir = Files.isDirectory(p);
    try (FileChannel ch = FileChannel.open(p, dir ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
      ch.force(true);
    } catch (IOException e) {
      if (!dir) {
        throw e;
      }
    }
  }

  @Override
  public synchronized List<OffsetRange> committedRanges(String view, String topic, int partition) {
    checkOpen();
    ViewState st = views.get(view);
    if (st == null) {
      return List.of();
    }
    return List.copyOf(st.ranges.getOrDefault(new SourcePartition(topic, partition), List.of()));
  }

  @Override
  public synchronized long position(String view, String topic, int partition) {
    checkOpen();
    ViewState st = views.get(view);
    return st == null ? 0 : st.positions.getOrDefault(new SourcePartition(topic, partition), 0L);
  }

  /** Every committed data file of a view (all schema versions), in commit order. */
  public synchronized List<CommittedFile> committedFiles(String view) {
    checkOpen();
    ViewState st = views.get(view);
    return st == null ? List.of() : List.copyOf(st.files);
  }

  /**
   * Up to {@code max} distinct entities of a view (each its join-key values in the view's join-key
   * order), drawn from the committed files reproducibly for a seed without reading the store in
   * full: files in a seeded random order, of each file one row group chosen at random, of that
   * only the join-key columns; it stops once it holds {@code 2 * max} distinct entities or has read
   * {@code max(16, 2 * max)} row groups, then draws {@code max} of them at random. Empty when the
   * view has no data.
   *
   * @throws UncheckedIOException naming the file when one cannot be read
   */
  public List<List<Object>> sampleEntities(String view, int max, long seed) {
    if (max < 1) {
      throw new IllegalArgumentException("Cannot sample entities of " + view + ": max must be at least 1, got " + max);
    }
    List<CommittedFile> files = new ArrayList<>(committedFiles(view));
    java.util.Random random = new java.util.Random(seed);
    java.util.Collections.shuffle(files, random);
    java.util.LinkedHashSet<List<Object>> keys = new java.util.LinkedHashSet<>();
    int budget = Math.max(16, 2 * max);
    int groupsRead = 0;
    for (CommittedFile f : files) {
      if (keys.size() >= 2 * max || groupsRead >= budget) {
        break;
      }
      List<JoinKey> joinKeys = registry.get().version(view, f.schemaVersion()).joinKeys();
      List<String> names = joinKeys.stream().map(JoinKey::name).toList();
      List<ValueType> types = joinKeys.stream().map(JoinKey::type).toList();
      try (dev.quiver.offline.internal.ParquetIo.Groups g =
               dev.quiver.offline.internal.ParquetIo.Groups.open(f.path(), names, types)) {
        int groups = g.rowGroupCount();
        if (groups == 0) {
          continue;
        }
        for (int skip = random.nextInt(groups); skip > 0; skip--) {
          g.skip();
        }
        dev.quiver.offline.internal.Table t = g.next();
        groupsRead++;
        for (int r = 0; t != null && r < t.rows(); r++) {
          List<Object> key = new ArrayList<>(names.size());
          for (int k = 0; k < names.size(); k++) {
            key.add(types.get(k).coerce(t.column(names.get(k)).value(r)));
          }
          keys.add(java.util.Collections.unmodifiableList(key));
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot sample entities of " + view + " from " + f.path() + ": "
            + e.getMessage(), e);
      }
    }
    List<List<Object>> all = new ArrayList<>(keys);
    java.util.Collections.shuffle(all, random);
    return List.copyOf(all.subList(0, Math.min(max, all.size())));
  }

  /** The views that have committed data. */
  public synchronized Set<String> views() {
    return Set.copyOf(views.keySet());
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("Cannot use offline store " + root + ": it is closed");
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    try {
      if (writerLock != null) {
        writerLock.release();
      }
      if (lockChannel != null) {
        lockChannel.close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot release the writer lock of offline store " + root, e);
    } finally {
      writerLock = null;
      lockChannel = null;
    }
  }

  /** Reading and writing commit records (format version 2, reading 1; see the class comment). */
  static final class CommitRecord {
    final String view;
    final long sequence;
    final List<OffsetRange> ranges;
    final Map<SourcePartition, Long> positions;
    final List<CommittedFile> files;

    CommitRecord(String view, long sequence, List<OffsetRange> ranges, Map<SourcePartition, Long> positions,
                 List<CommittedFile> files) {
      this.view = view;
      this.sequence = sequence;
      this.ranges = ranges;
      this.positions = positions;
      this.files = files;
    }

    static String format(String view, long seq, String topic, List<OffsetRange> ranges,
                         Map<SourcePartition, Long> positions, List<CommittedFile> files, Path viewDir)
        throws IOException {
      ObjectNode o = JSON.createObjectNode();
      o.put("format", COMMIT_FORMAT);
      o.put("formatVersion", COMMIT_FORMAT_VERSION);
      o.put("view", view);
      o.put("sequence", seq);
      ArrayNode rs = o.putArray("ranges");
      for (OffsetRange r : ranges) {
        rs.addObject().put("topic", r.topic()).put("partition", r.partition()).put("firstOffset", r.firstOffset())
            .put("lastOffset", r.lastOffset());
      }
      ArrayNode ps = o.putArray("positions");
      positions.forEach((sp, next) -> ps.addObject().put("topic", sp.topic()).put("partition", sp.partition())
          .put("next", next));
      ArrayNode fs = o.putArray("files");
      for (CommittedFile f : files) {
        fs.addObject()
            .put("path", viewDir.relativize(f.path()).toString().replace('\\', '/'))
            .put("schemaVersion", f.schemaVersion())
            .put("date", f.date().toString())
            .put("topic", topic)
            .put("partition", f.partition())
            .put("firstOffset", f.firstOffset())
            .put("lastOffset", f.lastOffset())
            .put("rows", f.rows())
            .put("minEventMicros", f.minEventMicros())
            .put("maxEventMicros", f.maxEventMicros());
      }
      return JSON.writeValueAsString(o) + "\n";
    }

    /** @param v1Topic the topic of a version-1 record's ranges */
    static CommitRecord parse(Path where, String text, Path viewDir, String v1Topic) {
      try {
        JsonNode o = JSON.readTree(text);
        if (o == null || !COMMIT_FORMAT.equals(o.path("format").asText())) {
          throw new QuiverException("Cannot read commit record " + where + ": not a " + COMMIT_FORMAT + " record");
        }
        int v = o.path("formatVersion").asInt(-1);
        if (v != 1 && v != COMMIT_FORMAT_VERSION) {
          throw new QuiverException("Cannot read commit record " + where + ": unknown formatVersion "
              + o.path("formatVersion"));
        }
        String view = require(o, "view", where).asText();
        long seq = require(o, "sequence", where).asLong();
        List<OffsetRange> ranges = new ArrayList<>();
        for (JsonNode r : require(o, "ranges", where)) {
          String topic = v == 1 ? v1Topic : require(r, "topic", where).asText();
          ranges.add(new OffsetRange(topic, require(r, "partition", where).asInt(),
              require(r, "firstOffset", where).asLong(), require(r, "lastOffset", where).asLong()));
        }
        Map<SourcePartition, Long> positions = new java.util.HashMap<>();
        if (v >= 2) {
          for (JsonNode p : require(o, "positions", where)) {
            long next = require(p, "next", where).asLong();
            if (next < 0) {
              throw new QuiverException("Cannot read commit record " + where + ": negative position " + next);
            }
            positions.merge(new SourcePartition(require(p, "topic", where).asText(),
                require(p, "partition", where).asInt()), next, Math::max);
          }
        }
        List<CommittedFile> files = new ArrayList<>();
        for (JsonNode f : require(o, "files", where)) {
          files.add(new CommittedFile(view, require(f, "schemaVersion", where).asInt(),
              LocalDate.parse(require(f, "date", where).asText()), require(f, "partition", where).asInt(),
              require(f, "firstOffset", where).asLong(), require(f, "lastOffset", where).asLong(),
              require(f, "rows", where).asLong(), require(f, "minEventMicros", where).asLong(),
              require(f, "maxEventMicros", where).asLong(), viewDir.resolve(require(f, "path", where).asText())));
        }
        return new CommitRecord(view, seq, ranges, positions, files);
      } catch (IOException | RuntimeException e) {
        if (e instanceof QuiverException q) {
          throw q;
        }
        throw new QuiverException("Cannot read commit record " + where + ": " + e.getMessage(), e);
      }
    }

    private static JsonNode require(JsonNode o, String field, Path where) {
      JsonNode n = o.get(field);
      if (n == null || n.isNull()) {
        throw new QuiverException("Cannot read commit record " + where + ": missing field " + field);
      }
      return n;
    }
  }

  /**
   * Test-only crash points: with the system property {@value #PROPERTY} set to
   * {@code <point>:<n>}, the JVM halts (exit code {@value #EXIT_CODE}, no shutdown hooks) the
   * n-th time it reaches that point, so a crash test can kill a writer at its riskiest moment.
   * Unset (always, outside tests), a point costs one field read.
   */
  static final class CrashPoint {
    static final String PROPERTY = "quiver.test.offline-crash-point";
    static final int EXIT_CODE = 86;
    /** Data files renamed into place, the commit record naming them not yet written. */
    static final String BEFORE_COMMIT_RECORD = "before-commit-record";
    private static final String ARMED = System.getProperty(PROPERTY);
    private static int reached;

    private CrashPoint() {}

    static void reached(String point) {
      if (ARMED != null && ARMED.startsWith(point + ":")
          && ++reached == Integer.parseInt(ARMED.substring(point.length() + 1))) {
        System.out.println("Halting at crash point " + ARMED);
        System.out.flush();
        Runtime.getRuntime().halt(EXIT_CODE);
      }
    }
  }
}
