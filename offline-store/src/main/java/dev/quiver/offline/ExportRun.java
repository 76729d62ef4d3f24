package dev.quiver.offline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quiver.offline.internal.ArrowOut;
import dev.quiver.offline.internal.Column;
import dev.quiver.offline.internal.Csv;
import dev.quiver.offline.internal.History;
import dev.quiver.offline.internal.KeyDict;
import dev.quiver.offline.internal.ParquetIo;
import dev.quiver.offline.internal.PitJoin;
import dev.quiver.offline.internal.Table;
import dev.quiver.offline.internal.TableSink;
import dev.quiver.registry.Feature;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.FeatureRef;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.registry.JoinKey;
import dev.quiver.registry.NoSuchFeatureException;
import dev.quiver.registry.NoSuchFeatureViewException;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.ResolvedFeature;
import dev.quiver.registry.Source;
import dev.quiver.registry.Timestamps;
import dev.quiver.registry.UserInputException;
import dev.quiver.registry.ValueType;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/** One run of a {@link TrainingSetExport}; see there for the semantics. */
final class ExportRun {
  static final String MANIFEST_FORMAT = "quiver-export-manifest";
  static final int MANIFEST_FORMAT_VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  static final String EVENT_TS = "event_timestamp";
  static final String CREATED_TS = "created_timestamp";

  /** An input file of a view: a store file (schemaVersion &gt; 0) or a Parquet source file (index = position). */
  record InputFile(String view, Path path, int schemaVersion, int index, long rows) {}

  private static final class ViewPlan {
    String name;
    FeatureView def;
    FeatureViewVersion ver;
    List<JoinKey> keys;
    long ttlMicros;
    final List<ResolvedFeature> feats = new ArrayList<>();
    final List<String> outNames = new ArrayList<>();
    Source source;
    boolean fromSource;
    List<InputFile> inputs;
  }

  private final TrainingSetExport x;
  private final String spineName;
  private final long startNanos = System.nanoTime();
  private ProgressBar bar;
  private long stepsDone;
  private long stepsTotal;

  ExportRun(TrainingSetExport x) {
    this.x = x;
    this.spineName = x.spinePath == null ? "(spine given in Java)" : x.spinePath.toString();
  }

  // ------------------------------------------------------------------ run

  ExportResult run() {
    try {
      return doRun();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot export training set to " + x.output + ": " + e.getMessage(), e);
    } finally {
      if (bar != null) {
        bar.close();
      }
    }
  }

  private ExportResult doRun() throws IOException {
    List<ViewPlan> plans = plan();
    stepsTotal = 2L + plans.size();
    step("read spine", 0, 1);
    Table spine;
    if (x.spine == null) {
      SpineFile sf = checkSpineFile(plans);
      if (sf.estimateBytes() > x.memoryBudget) {
        ExportResult r = runSpinePartitioned(plans, sf);
        if (r != null) {
          return r;
        }
      }
      spine = readSpine(sf);
    } else {
      spine = loadSpine(plans);
    }
    for (ViewPlan p : plans) {
      for (int i = 0; i < p.outNames.size(); i++) {
        if (spine.has(p.outNames.get(i))) {
          throw new UserInputException("Cannot export features: output column " + p.outNames.get(i) + " of "
              + p.name + "@v" + p.ver.version() + ":" + p.feats.get(i).feature().name()
              + " collides with the spine column of that name in " + spineName + " (use full feature names)");
        }
      }
      if (x.eventTimestamps && spine.has(eventTsName(p))) {
        throw new UserInputException("Cannot export features: output column " + eventTsName(p)
            + " collides with the spine column of that name in " + spineName);
      }
    }
    int n = spine.rows();
    long[] sTs = spineTimes(spine);
    long minT = Long.MAX_VALUE;
    long maxT = Long.MIN_VALUE;
    for (long t : sTs) {
      minT = Math.min(minT, t);
      maxT = Math.max(maxT, t);
    }
    for (ViewPlan p : plans) {
      if (p.inputs == null) {
        p.inputs = listInputs(p, minT, maxT);
      }
      stepsTotal += p.inputs.size();
    }
    step("read spine", 1, 1);

    Table out = new Table();
    for (Column c : spine.columns()) {
      out.add(c);
    }
    Map<String, int[]> keyIdCache = new HashMap<>();
    Map<String, KeyDict> dictCache = new HashMap<>();
    for (ViewPlan p : plans) {
      String cacheKey = p.keys.stream().map(JoinKey::name).toList().toString();
      KeyDict dict = dictCache.get(cacheKey);
      int[] sKey = keyIdCache.get(cacheKey);
      if (dict == null) {
        dict = new KeyDict(p.keys.stream().map(JoinKey::type).toList());
        Column[] kc = p.keys.stream().map(k -> spine.column(k.name())).toArray(Column[]::new);
        sKey = dict.assign(kc, n);
        dictCache.put(cacheKey, dict);
        keyIdCache.put(cacheKey, sKey);
      }
      List<Column> featCols = joinView(p, dict, sKey, sTs, n, minT, maxT);
      out.addAll(featCols);
      step("join " + p.name, 1, 1);
    }
    out.setRows(n);

    step("write output", 0, 1);
    Path outFile = x.output.toAbsolutePath();
    if (outFile.getParent() != null) {
      Files.createDirectories(outFile.getParent());
    }
    Path tmp = outFile.resolveSibling("." + outFile.getFileName() + "." + UUID.randomUUID() + ".tmp");
    try {
      switch (x.format) {
        case PARQUET -> ParquetIo.write(tmp, out);
        case ARROW -> ArrowOut.write(tmp, out);
        case CSV -> {
          try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            Csv.write(w, out);
          }
        }
        default -> throw new IllegalStateException();
      }
      OfflineStore.fsync(tmp);
      Files.move(tmp, outFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
    String sha = sha256(outFile);
    step("write output", 1, 1);
    List<String> names = out.columns().stream().map(c -> c.name).toList();
    Path manifest = null;
    if (x.writeManifest) {
      manifest = outFile.resolveSibling(outFile.getFileName() + ".manifest.json");
      writeManifest(manifest, plans, outFile, sha, n);
    }
    return new ExportResult(outFile, manifest, n, sha, names);
  }

  private void step(String stage, long done, long total) {
    x.progress.onProgress(stage, done, total);
    if (done == total) {
      stepsDone++;
    }
    if (x.progressBar && bar == null && System.console() != null
        && System.nanoTime() - startNanos > 1_000_000_000L) {
      bar = new ProgressBarBuilder().setTaskName("export").setInitialMax(stepsTotal).build();
    }
    if (bar != null) {
      bar.maxHint(stepsTotal);
      bar.stepTo(stepsDone);
      bar.setExtraMessage(stage);
    }
  }

  // ------------------------------------------------------------------ planning

  private List<ViewPlan> plan() {
    RegistrySnapshot reg = x.registry;
    List<ResolvedFeature> resolved = x.service != null ? reg.resolveService(x.service)
        : x.explicitInputs != null ? resolveForReplay(reg, x.features, x.explicitInputs) : reg.resolveRefs(x.features);
    Map<String, ViewPlan> byView = new LinkedHashMap<>();
    Map<String, String> usedBy = new HashMap<>();
    for (ResolvedFeature f : resolved) {
      ViewPlan p = byView.computeIfAbsent(f.view().name(), v -> {
        ViewPlan np = new ViewPlan();
        np.name = v;
        np.def = f.view();
        np.ver = f.version();
        np.keys = f.version().joinKeys();
        np.ttlMicros = f.view().ttl().getSeconds() * 1_000_000L + f.view().ttl().getNano() / 1000;
        np.source = reg.source(v);
        np.fromSource = np.source.kind() == Source.Kind.PARQUET;
        return np;
      });
      if (p.ver.version() != f.version().version()) {
        throw new UserInputException("Cannot export features of view " + p.name + " at two versions: v"
            + p.ver.version() + " and v" + f.version().version());
      }
      String col = f.columnName(x.fullFeatureNames);
      String ref = p.name + "@v" + f.version().version() + ":" + f.feature().name();
      String prev = usedBy.putIfAbsent(col, ref);
      if (prev != null) {
        throw new UserInputException("Cannot export features: output column " + col + " would hold both "
            + prev + " and " + ref + " (use full feature names)");
      }
      p.feats.add(f);
      p.outNames.add(col);
    }
    if (x.eventTimestamps) {
      for (ViewPlan p : byView.values()) {
        String prev = usedBy.putIfAbsent(eventTsName(p), p.name + " event time");
        if (prev != null) {
          throw new UserInputException("Cannot export features: output column " + eventTsName(p)
              + " would hold both " + prev + " and the event time of " + p.name);
        }
      }
    }
    if (x.explicitInputs != null) {
      for (ViewPlan p : byView.values()) {
        p.inputs = x.explicitInputs.getOrDefault(p.name, List.of());
      }
    }
    return new ArrayList<>(byView.values());
  }

  /** The column of a view's picked event times ({@link TrainingSetExport.Builder#withEventTimestamps}). */
  private static String eventTsName(ViewPlan p) {
    return p.name + "__" + EVENT_TS;
  }

  /**
   * A replay reads only the files its manifest names. A pinned reference that the registry refuses
   * because the feature was retyped in a later version is still readable when none of those files
   * was written under a version that gives it another type; otherwise the registry's refusal stands.
   */
  private static List<ResolvedFeature> resolveForReplay(RegistrySnapshot reg, List<String> refs,
                                                        Map<String, List<InputFile>> inputs) {
    List<ResolvedFeature> out = new ArrayList<>();
    for (String text : refs) {
      FeatureRef ref = FeatureRef.parse(text, false);
      try {
        out.addAll(reg.resolve(List.of(ref)));
      } catch (NoSuchFeatureViewException | NoSuchFeatureException e) {
        throw e;
      } catch (UserInputException e) {
        if (ref.version() == null) {
          throw e;
        }
        FeatureViewVersion pinned = reg.version(ref.view(), ref.version());
        Feature f = pinned.feature(ref.feature()).orElseThrow(() -> e);
        for (InputFile in : inputs.getOrDefault(ref.view(), List.of())) {
          if (in.schemaVersion() > 0 && reg.version(ref.view(), in.schemaVersion()).feature(f.name())
              .map(written -> written.type() != f.type()).orElse(false)) {
            throw e;
          }
        }
        out.add(new ResolvedFeature(reg.view(ref.view()), pinned, f));
      }
    }
    return out;
  }

  private List<InputFile> listInputs(ViewPlan p, long minT, long maxT) throws IOException {
    long lo = p.ttlMicros > 0 ? minT - p.ttlMicros : Long.MIN_VALUE;
    List<InputFile> in = new ArrayList<>();
    if (p.fromSource) {
      List<Path> files = glob(p.source.path(), p.source.name(), p.name);
      for (int i = 0; i < files.size(); i++) {
        in.add(new InputFile(p.name, files.get(i), 0, i, -1));
      }
      return in;
    }
    if (x.store == null) {
      throw new UserInputException("Cannot export view " + p.name + ": its source " + p.source.name()
          + " is a stream and no offline store was given");
    }
    LocalDate loDate = lo == Long.MIN_VALUE ? LocalDate.MIN : OfflineStore.dateOf(lo);
    LocalDate hiDate = OfflineStore.dateOf(maxT);
    for (CommittedFile f : x.store.committedFiles(p.name)) {
      if (f.date().isBefore(loDate) || f.date().isAfter(hiDate) || f.maxEventMicros() < lo || f.minEventMicros() > maxT) {
        continue;
      }
      in.add(new InputFile(p.name, f.path(), f.schemaVersion(), 0, f.rows()));
    }
    in.sort((a, b) -> a.path().compareTo(b.path()));
    return in;
  }

  private List<Path> glob(String pattern, String sourceName, String view) throws IOException {
    if (pattern == null || pattern.isBlank()) {
      throw new UserInputException("Cannot export view " + view + ": source " + sourceName + " has no path");
    }
    Path pat = Path.of(pattern);
    if (!pat.isAbsolute()) {
      if (x.repoDir == null) {
        throw new UserInputException("Cannot export view " + view + ": source " + sourceName
            + " has a relative path " + pattern + " and no repo directory was given");
      }
      pat = x.repoDir.toAbsolutePath().resolve(pattern);
    }
    // walk from the longest prefix without glob characters
    Path base = pat.getRoot();
    for (Path part : pat) {
      String s = part.toString();
      if (s.contains("*") || s.contains("?") || s.contains("[") || s.contains("{")) {
        break;
      }
      base = base.resolve(s);
    }
    List<Path> out = new ArrayList<>();
    if (base.equals(pat)) {
      if (Files.isRegularFile(pat)) {
        out.add(pat);
      }
    } else if (Files.isDirectory(base)) {
      PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + pat.toString());
      try (Stream<Path> s = Files.walk(base)) {
        s.filter(Files::isRegularFile).filter(m::matches).forEach(out::add);
      }
    }
    if (out.isEmpty()) {
      throw new UserInputException("Cannot export view " + view + ": no file matches the path " + pattern
          + " of source " + sourceName);
    }
    out.sort(null);
    return out;
  }

  // ------------------------------------------------------------------ spine

  private SpineFile checkSpineFile(List<ViewPlan> plans) throws IOException {
    Map<String, String> keyView = new HashMap<>();
    return checkSpineFile(keyTypes(plans, keyView), keyView);
  }

  private Map<String, ValueType> keyTypes(List<ViewPlan> plans, Map<String, String> keyView) {
    Map<String, ValueType> keyTypes = new LinkedHashMap<>();
    for (ViewPlan p : plans) {
      for (JoinKey k : p.keys) {
        ValueType prev = keyTypes.putIfAbsent(k.name(), k.type());
        keyView.putIfAbsent(k.name(), p.name);
        if (prev != null && prev != k.type()) {
          throw new UserInputException("Cannot export features: join key " + k.name() + " is " + prev + " in view "
              + keyView.get(k.name()) + " but " + k.type() + " in view " + p.name);
        }
      }
    }
    return keyTypes;
  }

  private Table loadSpine(List<ViewPlan> plans) throws IOException {
    Map<String, String> keyView = new HashMap<>();
    Map<String, ValueType> keyTypes = keyTypes(plans, keyView);
    String ts = x.timestampColumn;
    Table t;
    if (x.spine != null) {
      t = x.spine.table;
      for (Map.Entry<String, ValueType> e : keyTypes.entrySet()) {
        Column c = t.column(e.getKey());
        if (c == null) {
          throw spineError("missing join-key column " + e.getKey() + " (needed by view " + keyView.get(e.getKey()) + ")", e.getKey());
        }
        if (c.type != e.getValue() && !(c.type == ValueType.INT32 && e.getValue() == ValueType.INT64)) {
          throw spineError("column " + e.getKey() + " is " + c.type + " but the join key is " + e.getValue(), e.getKey());
        }
      }
      if (!t.has(ts)) {
        throw spineError("missing timestamp column " + ts, ts);
      }
      if (t.column(ts).type != ValueType.TIMESTAMP) {
        throw spineError("timestamp column " + ts + " is " + t.column(ts).type + ", expected TIMESTAMP", ts);
      }
      return t;
    }
    return readSpine(checkSpineFile(keyTypes, keyView));
  }

  /** A checked spine file: its columns with the types to read them as, and its estimated heap size. */
  private record SpineFile(Path file, boolean csv, List<String> names, List<ValueType> types,
                           Map<String, ValueType> csvTypes, long estimateBytes) {}

  private SpineFile checkSpineFile(Map<String, ValueType> keyTypes, Map<String, String> keyView) throws IOException {
    String ts = x.timestampColumn;
    Path file = x.spinePath;
    if (!Files.isRegularFile(file)) {
      throw new ExportInputException("Cannot read spine file " + file + ": no such file", file, null);
    }
    boolean csv = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".csv");
    if (csv) {
      Map<String, ValueType> types = new HashMap<>(keyTypes);
      types.put(ts, ValueType.TIMESTAMP);
      List<String> header;
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        header = Csv.header(r);
      }
      checkSpineColumns(header, keyTypes, keyView);
      // text cells become Java objects: about three times the file's size on the heap
      return new SpineFile(file, true, header, null, types, Files.size(file) * 3);
    }
    MessageType schema;
    long rows;
    try (ParquetFileReader r = ParquetIo.open(file)) {
      schema = r.getFooter().getFileMetaData().getSchema();
      rows = r.getRecordCount();
    } catch (IOException | RuntimeException e) {
      throw new ExportInputException("Cannot read spine file " + file + ": not a readable Parquet file ("
          + e.getMessage() + ")", file, null, e);
    }
    List<String> names = new ArrayList<>();
    List<ValueType> types = new ArrayList<>();
    for (Type f : schema.getFields()) {
      names.add(f.getName());
    }
    checkSpineColumns(names, keyTypes, keyView);
    long perRow = 8;
    for (String name : names) {
      ValueType nat = ParquetIo.naturalType(schema.getType(name));
      ValueType want = keyTypes.containsKey(name) ? keyTypes.get(name) : name.equals(ts) ? ValueType.TIMESTAMP : nat;
      if (nat == null) {
        throw spineError("column " + name + " has an unsupported type " + schema.getType(name).toString().trim(), name);
      }
      if (!ParquetIo.readableAs(nat, want)) {
        throw spineError("column " + name + " is " + nat + " but " + (name.equals(ts) ? "the timestamp column" : "the join key")
            + " must be " + want, name);
      }
      types.add(want);
      perRow += Column.bytesPerRow(want);
    }
    return new SpineFile(file, false, names, types, null, rows * perRow);
  }

  private Table readSpine(SpineFile sf) throws IOException {
    Path file = sf.file();
    if (sf.csv()) {
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        return Csv.read(r, sf.csvTypes());
      } catch (Csv.CellException e) {
        throw new ExportInputException("Cannot read spine file " + file + ": " + e.getMessage(), file, e.column, e);
      }
    }
    try {
      return ParquetIo.read(file, sf.names(), sf.types());
    } catch (ParquetIo.ColumnTypeException e) {
      throw spineError("column " + e.column + ": " + e.getMessage(), e.column);
    } catch (IOException | RuntimeException e) {
      throw new ExportInputException("Cannot read spine file " + file + ": corrupt Parquet (" + e.getMessage() + ")",
          file, null, e);
    }
  }

  /** A consumer that may throw an IOException. */
  @FunctionalInterface
  private interface IoConsumer<T> {
    void accept(T t) throws IOException;
  }

  /** Streams the spine file: Parquet one row group at a time, CSV in chunks of {@code csvRows}. */
  private void streamSpine(SpineFile sf, int csvRows, IoConsumer<Table> sink) throws IOException {
    Path file = sf.file();
    if (sf.csv()) {
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        Csv.Chunks chunks = new Csv.Chunks(r, sf.csvTypes());
        while (true) {
          Table t;
          try {
            t = chunks.next(csvRows);
          } catch (Csv.CellException e) {
            throw new ExportInputException("Cannot read spine file " + file + ": " + e.getMessage(), file, e.column, e);
          }
          if (t == null) {
            return;
          }
          sink.accept(t);
        }
      }
    }
    ParquetIo.Groups g;
    try {
      g = ParquetIo.Groups.open(file, sf.names(), sf.types());
    } catch (ParquetIo.ColumnTypeException e) {
      throw spineError("column " + e.column + ": " + e.getMessage(), e.column);
    } catch (IOException | RuntimeException e) {
      throw new ExportInputException("Cannot read spine file " + file + ": corrupt Parquet (" + e.getMessage() + ")",
          file, null, e);
    }
    try (g) {
      while (true) {
        Table t;
        try {
          t = g.next();
        } catch (ParquetIo.ColumnTypeException e) {
          throw spineError("column " + e.column + ": " + e.getMessage(), e.column);
        } catch (IOException | RuntimeException e) {
          throw new ExportInputException("Cannot read spine file " + file + ": corrupt Parquet (" + e.getMessage()
              + ")", file, null, e);
        }
        if (t == null) {
          return;
        }
        sink.accept(t);
      }
    }
  }

  /** Streams the spine in tables of exactly {@code rows} rows (the last may be shorter). */
  private void streamSpineChunks(SpineFile sf, int rows, IoConsumer<Table> sink) throws IOException {
    List<Column> buf = new ArrayList<>();
    int[] have = {0};
    streamSpine(sf, rows, t -> {
      int off = 0;
      while (off < t.rows()) {
        if (have[0] == 0 && off == 0 && t.rows() == rows) {
          sink.accept(t);
          return;
        }
        int take = Math.min(rows - have[0], t.rows() - off);
        int[] idx = new int[take];
        for (int i = 0; i < take; i++) {
          idx[i] = off + i;
        }
        List<Column> cs = t.columns();
        if (buf.isEmpty()) {
          for (Column c : cs) {
            buf.add(new Column(c.name, c.type, rows));
          }
        }
        for (int c = 0; c < cs.size(); c++) {
          buf.get(c).appendAll(cs.get(c).gather(cs.get(c).name, idx));
        }
        have[0] += take;
        off += take;
        if (have[0] == rows) {
          sink.accept(new Table(new ArrayList<>(buf), rows));
          buf.clear();
          have[0] = 0;
        }
      }
    });
    if (have[0] > 0) {
      sink.accept(new Table(buf, have[0]));
    }
  }

  private void checkSpineColumns(List<String> columns, Map<String, ValueType> keyTypes, Map<String, String> keyView) {
    for (String k : keyTypes.keySet()) {
      if (!columns.contains(k)) {
        throw spineError("missing join-key column " + k + " (needed by view " + keyView.get(k) + "); it has "
            + columns, k);
      }
    }
    if (!columns.contains(x.timestampColumn)) {
      throw spineError("missing timestamp column " + x.timestampColumn + "; it has " + columns, x.timestampColumn);
    }
  }

  private ExportInputException spineError(String reason, String column) {
    return new ExportInputException("Cannot read spine file " + spineName + ": " + reason, x.spinePath, column);
  }

  private long[] spineTimes(Table spine) {
    Column c = spine.column(x.timestampColumn);
    long[] ts = new long[spine.rows()];
    for (int i = 0; i < ts.length; i++) {
      if (c.isNull(i)) {
        throw spineError("column " + x.timestampColumn + " is null in row " + i, x.timestampColumn);
      }
      ts[i] = c.getLong(i);
    }
    return ts;
  }

  // ------------------------------------------------------------------ spine larger than the budget

  /** Most partitions of the spine-partitioned path (each holds a spill file per key set and view). */
  static final int MAX_SPINE_PARTS = 256;

  /**
   * The export of a spine file estimated larger than the memory budget, in the spine's order and
   * byte-identical to the in-memory path. The spine is streamed (Parquet row groups, CSV chunks)
   * several times and never held whole:
   * <ol>
   *   <li>once for its row count and time range;
   *   <li>once per distinct set of join keys: each row with its index, keys and time goes to the
   *       spill file of the partition of its key's hash ({@link KeyDict#partition});
   *   <li>per view, the candidate rows are spilled by the same hash of the same keys, then each
   *       partition is joined in memory ({@link PitJoin}) and its features written with the spine
   *       row index, in increasing index order;
   *   <li>once more to assemble the output in chunks of rows: the spine's columns, and each
   *       view's features scattered from its partitions' results, which are read forward only
   *       (one row group of each at a time); the chunks go straight to the output writer, cut as
   *       the in-memory writer cuts row groups and record batches.
   * </ol>
   * Returns null for an empty spine (the in-memory path handles it).
   */
  private ExportResult runSpinePartitioned(List<ViewPlan> plans, SpineFile sf) throws IOException {
    if (x.eventTimestamps) {
      throw new UserInputException("Cannot export event timestamps for spine " + spineName
          + ": it is larger than the memory budget of " + x.memoryBudget + " bytes");
    }
    for (ViewPlan p : plans) {
      for (int i = 0; i < p.outNames.size(); i++) {
        if (sf.names().contains(p.outNames.get(i))) {
          throw collision(p, i);
        }
      }
    }
    String tsName = x.timestampColumn;
    long[] stats = {0, Long.MAX_VALUE, Long.MIN_VALUE};
    int readRows = (int) Math.max(1024, Math.min(ParquetIo.ROWS_PER_GROUP, x.memoryBudget / 256));
    streamSpine(sf, readRows, t -> {
      Column c = t.column(tsName);
      for (int r = 0; r < t.rows(); r++) {
        if (c.isNull(r)) {
          throw spineError("column " + tsName + " is null in row " + (stats[0] + r), tsName);
        }
        long v = c.getLong(r);
        stats[1] = Math.min(stats[1], v);
        stats[2] = Math.max(stats[2], v);
      }
      stats[0] += t.rows();
    });
    if (stats[0] == 0) {
      return null;
    }
    if (stats[0] > Integer.MAX_VALUE) {
      throw spineError("it has " + stats[0] + " rows, more than " + Integer.MAX_VALUE, null);
    }
    int n = (int) stats[0];
    long minT = stats[1];
    long maxT = stats[2];
    long histEst = 0;
    for (ViewPlan p : plans) {
      if (p.inputs == null) {
        p.inputs = listInputs(p, minT, maxT);
      }
      stepsTotal += p.inputs.size() + 1;
      histEst = Math.max(histEst, historyEstimate(p));
    }
    step("read spine", 1, 1);
    long need = (sf.estimateBytes() + histEst) * 2;
    int parts = (int) Math.min(MAX_SPINE_PARTS, Math.max(2, (need + x.memoryBudget - 1) / x.memoryBudget));
    long groupBytes = Math.min(64L << 20, Math.max(64L << 10, x.memoryBudget / (4L * parts)));

    Path outFile = x.output.toAbsolutePath();
    if (outFile.getParent() != null) {
      Files.createDirectories(outFile.getParent());
    }
    Path tmpDir = Files.createTempDirectory(x.tempDir != null ? x.tempDir : outFile.getParent(), ".quiver-spill-");
    try {
      // 1. the spine, partitioned once per distinct set of join keys
      Map<String, Integer> keySetOf = new LinkedHashMap<>();
      List<List<JoinKey>> keySets = new ArrayList<>();
      for (ViewPlan p : plans) {
        String k = p.keys.stream().map(JoinKey::name).toList().toString();
        if (!keySetOf.containsKey(k)) {
          keySetOf.put(k, keySets.size());
          keySets.add(p.keys);
        }
      }
      for (int ks = 0; ks < keySets.size(); ks++) {
        step("partition spine", ks, keySets.size());
        partitionSpine(sf, readRows, keySets.get(ks), parts, groupBytes, tmpDir, ks);
      }
      step("partition spine", keySets.size(), keySets.size());
      // 2. each view joined partition by partition
      for (int v = 0; v < plans.size(); v++) {
        ViewPlan p = plans.get(v);
        int ks = keySetOf.get(p.keys.stream().map(JoinKey::name).toList().toString());
        joinViewPartitioned(p, v, ks, parts, groupBytes, tmpDir, minT, maxT);
      }
      for (int ks = 0; ks < keySets.size(); ks++) {
        for (int q = 0; q < parts; q++) {
          Files.deleteIfExists(tmpDir.resolve("s" + ks + "-" + q + ".parquet"));
        }
      }
      // 3. the output in spine order
      step("write output", 0, 1);
      List<Column> schema = new ArrayList<>();
      long rowBytes = 8;
      for (int i = 0; i < sf.names().size(); i++) {
        ValueType t = sf.csv() ? sf.csvTypes().getOrDefault(sf.names().get(i), ValueType.STRING) : sf.types().get(i);
        schema.add(new Column(sf.names().get(i), t, 0));
        rowBytes += Column.bytesPerRow(t);
      }
      for (ViewPlan p : plans) {
        for (int i = 0; i < p.feats.size(); i++) {
          ValueType t = p.feats.get(i).feature().type();
          schema.add(new Column(p.outNames.get(i), t, 0));
          rowBytes += Column.bytesPerRow(t);
        }
      }
      int chunkRows = (int) Math.max(1024, Math.min(ParquetIo.ROWS_PER_GROUP, x.memoryBudget / (4 * rowBytes)));
      boolean flat = schema.stream().noneMatch(c -> c.type.isList());
      switch (x.format) {
        case PARQUET -> chunkRows = flat ? ParquetIo.ROWS_PER_GROUP : chunkRows;
        case ARROW -> chunkRows = Math.max(1, chunkRows / ArrowOut.BATCH) * ArrowOut.BATCH;
        default -> { }
      }
      Path tmp = outFile.resolveSibling("." + outFile.getFileName() + "." + UUID.randomUUID() + ".tmp");
      List<List<ResultCursor>> cursors = new ArrayList<>();
      try {
        for (int v = 0; v < plans.size(); v++) {
          List<ResultCursor> cs = new ArrayList<>();
          cursors.add(cs);
          for (int q = 0; q < parts; q++) {
            cs.add(new ResultCursor(tmpDir.resolve("r" + v + "-" + q + ".parquet"),
                plans.get(v).feats.stream().map(f -> f.feature().type()).toList()));
          }
        }
        try (TableSink sink = switch (x.format) {
          case PARQUET -> ParquetIo.sink(tmp, schema);
          case ARROW -> ArrowOut.sink(tmp, schema);
          case CSV -> Csv.sink(Files.newBufferedWriter(tmp, StandardCharsets.UTF_8), schema);
        }) {
          long[] base = {0};
          streamSpineChunks(sf, chunkRows, chunk -> {
            int len = chunk.rows();
            Table out = new Table();
            for (Column c : chunk.columns()) {
              out.add(c);
            }
            for (int v = 0; v < plans.size(); v++) {
              ViewPlan p = plans.get(v);
              Column[] fc = new Column[p.feats.size()];
              for (int i = 0; i < fc.length; i++) {
                fc[i] = Column.nulls(p.outNames.get(i), p.feats.get(i).feature().type(), len);
              }
              for (ResultCursor rc : cursors.get(v)) {
                rc.fill(fc, base[0], len);
              }
              out.addAll(Arrays.asList(fc));
            }
            out.setRows(len);
            sink.write(out);
            base[0] += len;
          });
        }
        OfflineStore.fsync(tmp);
        Files.move(tmp, outFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        for (List<ResultCursor> cs : cursors) {
          for (ResultCursor rc : cs) {
            rc.close();
          }
        }
        Files.deleteIfExists(tmp);
      }
      String sha = sha256(outFile);
      step("write output", 1, 1);
      List<String> names = schema.stream().map(c -> c.name).toList();
      Path manifest = null;
      if (x.writeManifest) {
        manifest = outFile.resolveSibling(outFile.getFileName() + ".manifest.json");
        writeManifest(manifest, plans, outFile, sha, n);
      }
      return new ExportResult(outFile, manifest, n, sha, names);
    } finally {
      try (Stream<Path> s = Files.walk(tmpDir)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  /** Spills every spine row with a non-null key as (row index, key columns, time) to its key's partition. */
  private void partitionSpine(SpineFile sf, int readRows, List<JoinKey> keys, int parts, long groupBytes,
                              Path dir, int ks) throws IOException {
    List<Column> slots = new ArrayList<>();
    slots.add(new Column("_row", ValueType.INT64, 0));
    for (int i = 0; i < keys.size(); i++) {
      slots.add(new Column("k" + i, keys.get(i).type(), 0));
    }
    slots.add(new Column("_t", ValueType.TIMESTAMP, 0));
    List<ParquetWriter<Integer>> writers = new ArrayList<>();
    try {
      for (int q = 0; q < parts; q++) {
        writers.add(ParquetIo.writer(dir.resolve("s" + ks + "-" + q + ".parquet"), slots, groupBytes));
      }
      long[] base = {0};
      streamSpine(sf, readRows, t -> {
        int m = t.rows();
        long[] idx = new long[m];
        for (int r = 0; r < m; r++) {
          idx[r] = base[0] + r;
        }
        Column[] kc = new Column[keys.size()];
        slots.set(0, Column.ofLongs("_row", ValueType.INT64, idx, m));
        for (int i = 0; i < kc.length; i++) {
          kc[i] = t.column(keys.get(i).name());
          slots.set(1 + i, kc[i].renamed("k" + i));
        }
        slots.set(1 + kc.length, t.column(x.timestampColumn).renamed("_t"));
        for (int r = 0; r < m; r++) {
          int q = KeyDict.partition(kc, r, parts);
          if (q >= 0) {
            writers.get(q).write(r);
          }
        }
        base[0] += m;
      });
    } finally {
      for (ParquetWriter<Integer> w : writers) {
        w.close();
      }
    }
  }

  /**
   * Spills the view's candidates by the hash of their keys, then joins partition by partition
   * against the spine's partition of the same keys; writes per partition the spine row index
   * and the features of the winner, in increasing row index.
   */
  private void joinViewPartitioned(ViewPlan p, int v, int ks, int parts, long groupBytes, Path dir,
                                   long minT, long maxT) throws IOException {
    long lo = p.ttlMicros > 0 ? minT - p.ttlMicros : Long.MIN_VALUE;
    long asOf = x.asOf == null ? Long.MAX_VALUE : Timestamps.toMicros(x.asOf);
    List<String> featNames = p.feats.stream().map(f -> f.feature().name()).toList();
    List<ValueType> featTypes = p.feats.stream().map(f -> f.feature().type()).toList();
    int nk = p.keys.size();
    List<Column> slots = new ArrayList<>();
    for (int i = 0; i < nk; i++) {
      slots.add(new Column("k" + i, p.keys.get(i).type(), 0));
    }
    addOrderAndFeatureSlots(slots, featTypes);
    List<ParquetWriter<Integer>> writers = new ArrayList<>();
    try {
      for (int q = 0; q < parts; q++) {
        writers.add(ParquetIo.writer(dir.resolve("h" + v + "-" + q + ".parquet"), slots, groupBytes));
      }
      readAll(p, null, parts, lo, maxT, asOf, chunk -> {
        int m = chunk.n;
        for (int i = 0; i < nk; i++) {
          slots.set(i, chunk.keys[i].renamed("k" + i));
        }
        slots.set(nk, Column.ofLongs("t", ValueType.INT64, chunk.ts, m));
        slots.set(nk + 1, Column.ofLongs("c", ValueType.INT64, chunk.created, m));
        slots.set(nk + 2, Column.ofInts("p", ValueType.INT32, chunk.part, m));
        slots.set(nk + 3, Column.ofLongs("o", ValueType.INT64, chunk.off, m));
        for (int i = 0; i < chunk.feats.length; i++) {
          slots.set(nk + 4 + i, chunk.feats[i] == null ? Column.nulls("f" + i, featTypes.get(i), m)
              : chunk.feats[i].renamed("f" + i));
        }
        try {
          for (int r = 0; r < m; r++) {
            writers.get(chunk.key[r]).write(r);
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } finally {
      for (ParquetWriter<Integer> w : writers) {
        w.close();
      }
    }
    List<String> hNames = slots.stream().map(c -> c.name).toList();
    List<ValueType> hTypes = slots.stream().map(c -> c.type).toList();
    List<String> sNames = new ArrayList<>();
    List<ValueType> sTypes = new ArrayList<>();
    sNames.add("_row");
    sTypes.add(ValueType.INT64);
    for (int i = 0; i < nk; i++) {
      sNames.add("k" + i);
      sTypes.add(p.keys.get(i).type());
    }
    sNames.add("_t");
    sTypes.add(ValueType.TIMESTAMP);
    List<ValueType> keyTypes = p.keys.stream().map(JoinKey::type).toList();
    for (int q = 0; q < parts; q++) {
      step("join " + p.name, q, parts);
      Path hFile = dir.resolve("h" + v + "-" + q + ".parquet");
      Table st = ParquetIo.read(dir.resolve("s" + ks + "-" + q + ".parquet"), sNames, sTypes);
      int m = st.rows();
      if (m == 0) {
        Files.delete(hFile);
        continue;
      }
      KeyDict dict = new KeyDict(keyTypes);
      Column[] skc = new Column[nk];
      for (int i = 0; i < nk; i++) {
        skc[i] = st.column("k" + i);
      }
      int[] sKey = dict.assign(skc, m);
      long[] sTs = st.column("_t").longs();
      Table ht = ParquetIo.read(hFile, hNames, hTypes);
      Files.delete(hFile);
      History h = new History(featNames, featTypes, 0);
      h.n = ht.rows();
      Column[] hkc = new Column[nk];
      for (int i = 0; i < nk; i++) {
        hkc[i] = ht.column("k" + i);
      }
      h.key = new int[h.n];
      for (int r = 0; r < h.n; r++) {
        h.key[r] = dict.id(hkc, r, false); // -1: no spine row of this key; PitJoin skips it
      }
      h.ts = ht.column("t").longs();
      h.created = ht.column("c").longs();
      h.part = ht.column("p").ints();
      h.off = ht.column("o").longs();
      for (int i = 0; i < featNames.size(); i++) {
        h.feats[i] = ht.column("f" + i);
      }
      int[] all = new int[m];
      for (int i = 0; i < m; i++) {
        all[i] = i;
      }
      int[] winner = PitJoin.join(dict.size(), sKey, sTs, all, h, p.ttlMicros);
      List<Column> res = new ArrayList<>();
      res.add(st.column("_row"));
      for (int i = 0; i < featNames.size(); i++) {
        res.add(h.feats[i].gather("f" + i, winner));
      }
      try (ParquetWriter<Integer> w = ParquetIo.writer(dir.resolve("r" + v + "-" + q + ".parquet"), res, groupBytes)) {
        for (int r = 0; r < m; r++) {
          w.write(r);
        }
      }
    }
    step("join " + p.name, parts, parts);
  }

  /**
   * Reads one partition's join results (spine row index ascending, then the features) forward,
   * one row group at a time, scattering them into chunks of the output.
   */
  private static final class ResultCursor implements java.io.Closeable {
    private ParquetIo.Groups groups;
    private final int feats;
    private Table cur;
    private long[] rows;
    private int pos;

    ResultCursor(Path file, List<ValueType> featTypes) throws IOException {
      this.feats = featTypes.size();
      if (Files.exists(file)) {
        List<String> names = new ArrayList<>();
        List<ValueType> types = new ArrayList<>();
        names.add("_row");
        types.add(ValueType.INT64);
        for (int i = 0; i < feats; i++) {
          names.add("f" + i);
          types.add(featTypes.get(i));
        }
        groups = ParquetIo.Groups.open(file, names, types);
      }
    }

    /** Sets {@code out[i][row - base]} for this partition's rows in {@code [base, base + len)}. */
    void fill(Column[] out, long base, int len) throws IOException {
      long end = base + len;
      while (true) {
        if (cur == null || pos >= cur.rows()) {
          if (groups == null) {
            return;
          }
          cur = groups.next();
          pos = 0;
          if (cur == null) {
            close();
            return;
          }
          rows = cur.column("_row").longs();
        }
        int e = pos;
        while (e < cur.rows() && rows[e] < end) {
          e++;
        }
        if (e == pos) {
          return;
        }
        int[] idx = new int[e - pos];
        int[] at = new int[e - pos];
        for (int i = 0; i < idx.length; i++) {
          idx[i] = pos + i;
          at[i] = (int) (rows[pos + i] - base);
        }
        for (int i = 0; i < feats; i++) {
          out[i].scatterFrom(cur.column("f" + i).gather("x", idx), at, len);
        }
        pos = e;
      }
    }

    @Override
    public void close() throws IOException {
      if (groups != null) {
        groups.close();
        groups = null;
      }
      cur = null;
    }
  }

  private UserInputException collision(ViewPlan p, int i) {
    return new UserInputException("Cannot export features: output column " + p.outNames.get(i) + " of "
        + p.name + "@v" + p.ver.version() + ":" + p.feats.get(i).feature().name()
        + " collides with the spine column of that name in " + spineName + " (use full feature names)");
  }

  private long historyEstimate(ViewPlan p) {
    long rowsEstimate = 0;
    for (InputFile f : p.inputs) {
      rowsEstimate += f.rows() >= 0 ? f.rows() : footerRows(f.path());
    }
    long perRow = 40;
    for (ResolvedFeature f : p.feats) {
      perRow += Column.bytesPerRow(f.feature().type()) * 2;
    }
    return rowsEstimate * perRow;
  }

  // ------------------------------------------------------------------ join

  private List<Column> joinView(ViewPlan p, KeyDict dict, int[] sKey, long[] sTs, int n, long minT, long maxT)
      throws IOException {
    long lo = p.ttlMicros > 0 ? minT - p.ttlMicros : Long.MIN_VALUE;
    long asOf = x.asOf == null ? Long.MAX_VALUE : Timestamps.toMicros(x.asOf);
    List<String> featNames = p.feats.stream().map(f -> f.feature().name()).toList();
    List<ValueType> featTypes = p.feats.stream().map(f -> f.feature().type()).toList();
    long rowsEstimate = 0;
    for (InputFile f : p.inputs) {
      rowsEstimate += f.rows() >= 0 ? f.rows() : footerRows(f.path());
    }
    long perRow = 40;
    for (ValueType t : featTypes) {
      perRow += Column.bytesPerRow(t) * 2;
    }
    long estimate = rowsEstimate * perRow + (long) n * 24;
    int parts = 1;
    if (estimate > x.memoryBudget) {
      parts = (int) Math.min(4096, Math.max(2, (estimate * 2 + x.memoryBudget - 1) / x.memoryBudget));
    }
    List<Column> outCols = new ArrayList<>();
    if (parts == 1) {
      History h = new History(featNames, featTypes, (int) Math.min(Integer.MAX_VALUE - 16, Math.max(16, rowsEstimate)));
      readAll(p, dict, lo, maxT, asOf, chunk ->
          h.addAll(chunk.n, chunk.key, chunk.ts, chunk.created, chunk.part, chunk.off, chunk.feats));
      int[] all = new int[n];
      for (int i = 0; i < n; i++) {
        all[i] = i;
      }
      int[] winner = PitJoin.join(dict.size(), sKey, sTs, all, h, p.ttlMicros);
      for (int i = 0; i < featNames.size(); i++) {
        outCols.add(h.feats[i].gather(p.outNames.get(i), winner));
      }
      if (x.eventTimestamps) {
        outCols.add(Column.ofLongs("t", ValueType.TIMESTAMP, h.ts, h.n).gather(eventTsName(p), winner));
      }
      return outCols;
    }
    // partitioned: spill candidate rows by key into temporary Parquet files, then join each
    Path tmpDir = Files.createTempDirectory(x.tempDir != null ? x.tempDir
        : x.output.toAbsolutePath().getParent(), ".quiver-spill-");
    try {
      List<Column> slots = new ArrayList<>();
      slots.add(new Column("k", ValueType.INT32, 0));
      addOrderAndFeatureSlots(slots, featTypes);
      List<ParquetWriter<Integer>> writers = new ArrayList<>();
      final int np = parts;
      try {
        for (int i = 0; i < parts; i++) {
          writers.add(ParquetIo.writer(tmpDir.resolve("part-" + i + ".parquet"), slots));
        }
        {
          readAll(p, dict, lo, maxT, asOf, chunk -> {
            int m = chunk.n;
            slots.set(0, Column.ofInts("k", ValueType.INT32, chunk.key, m));
            slots.set(1, Column.ofLongs("t", ValueType.INT64, chunk.ts, m));
            slots.set(2, Column.ofLongs("c", ValueType.INT64, chunk.created, m));
            slots.set(3, Column.ofInts("p", ValueType.INT32, chunk.part, m));
            slots.set(4, Column.ofLongs("o", ValueType.INT64, chunk.off, m));
            for (int i = 0; i < chunk.feats.length; i++) {
              slots.set(5 + i, chunk.feats[i] == null ? Column.nulls("f" + i, featTypes.get(i), m)
                  : chunk.feats[i].renamed("f" + i));
            }
            try {
              for (int r = 0; r < m; r++) {
                writers.get(chunk.key[r] % np).write(r);
              }
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
        }
      } finally {
        for (ParquetWriter<Integer> w : writers) {
          w.close();
        }
      }
      for (int i = 0; i < featNames.size(); i++) {
        outCols.add(Column.nulls(p.outNames.get(i), featTypes.get(i), n));
      }
      if (x.eventTimestamps) {
        outCols.add(Column.nulls(eventTsName(p), ValueType.TIMESTAMP, n));
      }
      int[] count = new int[parts];
      for (int i = 0; i < n; i++) {
        if (sKey[i] >= 0) {
          count[sKey[i] % parts]++;
        }
      }
      int[][] rowsOf = new int[parts][];
      for (int q = 0; q < parts; q++) {
        rowsOf[q] = new int[count[q]];
      }
      int[] fill = new int[parts];
      for (int i = 0; i < n; i++) {
        if (sKey[i] >= 0) {
          int q = sKey[i] % parts;
          rowsOf[q][fill[q]++] = i;
        }
      }
      List<String> names = slots.stream().map(c -> c.name).toList();
      List<ValueType> types = slots.stream().map(c -> c.type).toList();
      for (int q = 0; q < parts; q++) {
        Path file = tmpDir.resolve("part-" + q + ".parquet");
        Table t = ParquetIo.read(file, names, types);
        Files.delete(file);
        History h = new History(featNames, featTypes, 0);
        h.n = t.rows();
        h.key = t.column("k").ints();
        h.ts = t.column("t").longs();
        h.created = t.column("c").longs();
        h.part = t.column("p").ints();
        h.off = t.column("o").longs();
        for (int i = 0; i < featNames.size(); i++) {
          h.feats[i] = t.column("f" + i);
        }
        int[] winner = PitJoin.join(dict.size(), sKey, sTs, rowsOf[q], h, p.ttlMicros);
        for (int i = 0; i < featNames.size(); i++) {
          outCols.get(i).scatterFrom(h.feats[i].gather("x", winner), rowsOf[q], n);
        }
        if (x.eventTimestamps) {
          outCols.get(featNames.size()).scatterFrom(
              Column.ofLongs("t", ValueType.TIMESTAMP, h.ts, h.n).gather("x", winner), rowsOf[q], n);
        }
      }
      return outCols;
    } finally {
      try (Stream<Path> s = Files.walk(tmpDir)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  private static long footerRows(Path file) {
    try (ParquetFileReader r = ParquetIo.open(file)) {
      return r.getRecordCount();
    } catch (IOException | RuntimeException e) {
      throw new ExportInputException("Cannot read feature file " + file + ": not a readable Parquet file ("
          + e.getMessage() + ")", file, null, e);
    }
  }

  /** Rows of one input chunk, already converted: key ids, times, positions, features (null = absent). */
  static final class Chunk {
    int n;
    int[] key;
    long[] ts;
    long[] created;
    int[] part;
    long[] off;
    Column[] feats;
    /** The key columns (only when read for the spine-partitioned path). */
    Column[] keys;
  }

  private final Map<Path, String> inputSha = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Reads the inputs of a view on a few threads (each file's rows filtered and compacted in its
   * thread; input checksums for the manifest computed there too) and hands the chunks to
   * {@code sink} in input order.
   */
  private void readAll(ViewPlan p, KeyDict dict, long lo, long hi, long asOf,
                       java.util.function.Consumer<Chunk> sink) throws IOException {
    readAll(p, dict, 0, lo, hi, asOf, sink);
  }

  /**
   * As above; with {@code dict == null} no row is dropped for its key: {@code Chunk.key} holds
   * the key's {@link KeyDict#partition partition} of {@code parts} and {@code Chunk.keys} the key
   * columns.
   */
  private void readAll(ViewPlan p, KeyDict dict, int parts, long lo, long hi, long asOf,
                       java.util.function.Consumer<Chunk> sink) throws IOException {
    int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "quiver-export-read");
      t.setDaemon(true);
      return t;
    });
    try {
      List<java.util.concurrent.Future<List<Chunk>>> futures = new ArrayList<>();
      int next = 0;
      for (int i = 0; i < p.inputs.size(); i++) {
        while (next < p.inputs.size() && next <= i + threads) {
          InputFile f = p.inputs.get(next++);
          futures.add(pool.submit(() -> {
            List<Chunk> chunks = new ArrayList<>();
            readInput(p, f, dict, parts, lo, hi, asOf, chunks::add);
            if (x.writeManifest) {
              inputSha.put(f.path(), sha256(f.path()));
            }
            return chunks;
          }));
        }
        List<Chunk> chunks;
        try {
          chunks = futures.get(i).get();
          futures.set(i, null);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
          Throwable c = e.getCause();
          if (c instanceof RuntimeException re) {
            throw re;
          }
          if (c instanceof IOException io) {
            throw io;
          }
          throw new IllegalStateException(c);
        }
        for (Chunk c : chunks) {
          sink.accept(c);
        }
        step("read " + p.name, i + 1, p.inputs.size());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private void readInput(ViewPlan p, InputFile f, KeyDict dict, int parts, long lo, long hi, long asOf,
                         java.util.function.Consumer<Chunk> sink) throws IOException {
    Path file = f.path();
    MessageType schema;
    ParquetFileReader reader;
    try {
      reader = ParquetIo.open(file);
      schema = reader.getFooter().getFileMetaData().getSchema();
    } catch (NoSuchFileException e) {
      throw new ExportInputException("Cannot read feature file " + file + " of view " + p.name + ": no such file",
          file, null, e);
    } catch (IOException | RuntimeException e) {
      throw new ExportInputException("Cannot read feature file " + file + " of view " + p.name
          + ": not a readable Parquet file (" + e.getMessage() + ")", file, null, e);
    }
    try (reader) {
      readOpen(p, f, dict, parts, lo, hi, asOf, sink, reader, schema);
    }
  }

  private void readOpen(ViewPlan p, InputFile f, KeyDict dict, int parts, long lo, long hi, long asOf,
                        java.util.function.Consumer<Chunk> sink, ParquetFileReader reader, MessageType schema)
      throws IOException {
    Path file = f.path();
    String tsName = p.fromSource ? p.source.timestampField() : EVENT_TS;
    String crName = p.fromSource ? p.source.createdTimestampField() : CREATED_TS;
    List<String> names = new ArrayList<>();
    List<ValueType> types = new ArrayList<>();
    for (JoinKey k : p.keys) {
      names.add(k.name());
      types.add(k.type());
    }
    names.add(tsName);
    types.add(ValueType.TIMESTAMP);
    if (crName != null) {
      names.add(crName);
      types.add(ValueType.TIMESTAMP);
    }
    if (!p.fromSource) {
      names.add("_partition");
      types.add(ValueType.INT32);
      names.add("_offset");
      types.add(ValueType.INT64);
    }
    for (String nm : names) {
      if (!schema.containsField(nm)) {
        throw new ExportInputException("Cannot read feature file " + file + " of view " + p.name
            + ": missing column " + nm, file, nm);
      }
    }
    FeatureViewVersion fileVer = p.fromSource ? p.ver : x.registry.version(p.name, f.schemaVersion());
    if (!fileVer.joinKeys().equals(p.keys)) {

      return; // another entity: not comparable with the version read
    }
    int fixed = names.size();
    int[] featPos = new int[p.feats.size()];
    for (int i = 0; i < p.feats.size(); i++) {
      Feature want = p.feats.get(i).feature();
      // a source file written before a feature was added lacks its column: its rows read null,
      // as a store file of an older version does and as the batch materializer loads them
      boolean present = p.fromSource
          ? schema.containsField(want.name())
          : fileVer.feature(want.name()).isPresent() && schema.containsField(want.name());
      featPos[i] = -1;
      if (present) {
        ValueType nat = ParquetIo.naturalType(schema.getType(want.name()));
        if (nat != null && ParquetIo.readableAs(nat, want.type())) {
          featPos[i] = names.size();
          names.add(want.name());
          types.add(want.type());
        } else if (p.fromSource) {
          throw new ExportInputException("Cannot read feature file " + file + " of view " + p.name + ": column "
              + want.name() + " is " + (nat == null ? schema.getType(want.name()).toString().trim() : nat)
              + " but the feature is " + want.type(), file, want.name());
        }
      }
    }
    final boolean hasCreated = crName != null;
    final int[] rowBase = {0};
    try {
      ParquetIo.read(reader, names, types, t -> {
        int m = t.rows();
        Chunk c = new Chunk();
        c.n = m;
        Column[] kc = new Column[p.keys.size()];
        for (int i = 0; i < kc.length; i++) {
          kc[i] = t.column(p.keys.get(i).name());
        }
        Column tsCol = t.column(tsName);
        Column crCol = hasCreated ? t.column(crName) : null;
        c.key = new int[m];
        c.ts = tsCol.longs();
        c.created = new long[m];
        if (p.fromSource) {
          c.part = new int[m];
          Arrays.fill(c.part, f.index());
          c.off = new long[m];
          for (int r = 0; r < m; r++) {
            c.off[r] = rowBase[0] + r;
          }
        } else {
          c.part = t.column("_partition").ints();
          c.off = t.column("_offset").longs();
        }
        c.feats = new Column[featPos.length];
        for (int i = 0; i < featPos.length; i++) {
          c.feats[i] = featPos[i] < 0 ? null : t.column(names.get(featPos[i]));
        }
        int[] kept = new int[m];
        int k = 0;
        for (int r = 0; r < m; r++) {
          if (tsCol.isNull(r)) {
            continue;
          }
          long ts = c.ts[r];
          if (ts > hi || ts < lo) {
            continue;
          }
          long cr = crCol == null || crCol.isNull(r) ? FeatureEvent.NO_CREATED_TIME : crCol.getLong(r);
          if (cr != FeatureEvent.NO_CREATED_TIME && cr > asOf) {
            continue;
          }
          int id = dict != null ? dict.id(kc, r, false) : KeyDict.partition(kc, r, parts);
          if (id < 0) {
            continue;
          }
          c.key[r] = id;
          c.created[r] = cr;
          kept[k++] = r;
        }
        rowBase[0] += m;
        if (dict == null) {
          c.keys = kc;
        }
        sink.accept(compact(c, kept, k));
      }, true);
    } catch (ParquetIo.ColumnTypeException e) {
      throw new ExportInputException("Cannot read feature file " + file + " of view " + p.name + ": column "
          + e.column + ": " + e.getMessage(), file, e.column, e);
    } catch (UncheckedIOException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      if (e instanceof UserInputException u) {
        throw u;
      }
      throw new ExportInputException("Cannot read feature file " + file + " of view " + p.name
          + ": corrupt Parquet (" + e.getMessage() + ")", file, null, e);
    }
  }

  private static Chunk compact(Chunk c, int[] kept, int k) {
    if (k == c.n) {
      return c; // every row kept: the arrays are already compact
    }
    Chunk o = new Chunk();
    o.n = k;
    o.key = new int[k];
    o.ts = new long[k];
    o.created = new long[k];
    o.part = new int[k];
    o.off = new long[k];
    for (int i = 0; i < k; i++) {
      int r = kept[i];
      o.key[i] = c.key[r];
      o.ts[i] = c.ts[r];
      o.created[i] = c.created[r];
      o.part[i] = c.part[r];
      o.off[i] = c.off[r];
    }
    int[] sel = k == kept.length ? kept : Arrays.copyOf(kept, k);
    o.feats = new Column[c.feats.length];
    for (int i = 0; i < c.feats.length; i++) {
      o.feats[i] = c.feats[i] == null ? null : c.feats[i].gather(c.feats[i].name, sel);
    }
    if (c.keys != null) {
      o.keys = new Column[c.keys.length];
      for (int i = 0; i < c.keys.length; i++) {
        o.keys[i] = c.keys[i].gather(c.keys[i].name, sel);
      }
    }
    return o;
  }

  // ------------------------------------------------------------------ manifest

  static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      int r;
      while ((r = in.read(buf)) > 0) {
        md.update(buf, 0, r);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private void writeManifest(Path manifest, List<ViewPlan> plans, Path outFile, String sha, int rows)
      throws IOException {
    ObjectNode o = JSON.createObjectNode();
    o.put("format", MANIFEST_FORMAT);
    o.put("formatVersion", MANIFEST_FORMAT_VERSION);
    ObjectNode reg = o.putObject("registry");
    reg.put("version", x.registry.version());
    reg.put("hash", x.registry.hash());
    ArrayNode views = o.putArray("views");
    ArrayNode refs = JSON.createArrayNode();
    for (ViewPlan p : plans) {
      ObjectNode v = views.addObject();
      v.put("name", p.name);
      v.put("hash", RegistrySnapshot.hash(p.def));
      v.put("version", p.ver.version());
      v.put("ttlMicros", p.ttlMicros);
      v.put("data", p.fromSource ? "parquet-source" : "offline-store");
      for (ResolvedFeature f : p.feats) {
        refs.add(p.name + "@v" + p.ver.version() + ":" + f.feature().name());
      }
    }
    ObjectNode opts = o.putObject("options");
    if (x.service != null) {
      opts.put("service", x.service);
    } else {
      ArrayNode fs = opts.putArray("features");
      x.features.forEach(fs::add);
    }
    opts.set("resolvedFeatures", refs);
    opts.put("asOf", x.asOf == null ? null : x.asOf.toString());
    opts.put("fullFeatureNames", x.fullFeatureNames);
    if (x.eventTimestamps) {
      opts.put("eventTimestamps", true);
    }
    opts.put("format", x.format.lowerName());
    opts.put("timestampColumn", x.timestampColumn);
    opts.put("memoryBudget", x.memoryBudget);
    ObjectNode sp = o.putObject("spine");
    if (x.spinePath != null) {
      Path s = x.spinePath.toAbsolutePath();
      sp.put("path", s.toString());
      sp.put("size", Files.size(s));
      sp.put("sha256", sha256(s));
    } else {
      sp.putNull("path");
    }
    ArrayNode inputs = o.putArray("inputs");
    for (ViewPlan p : plans) {
      for (InputFile f : p.inputs) {
        ObjectNode in = inputs.addObject();
        in.put("view", p.name);
        in.put("path", f.path().toAbsolutePath().toString());
        in.put("size", Files.size(f.path()));
        String known = inputSha.get(f.path());
        in.put("sha256", known != null ? known : sha256(f.path()));
        in.put("schemaVersion", f.schemaVersion());
        in.put("index", f.index());
        in.put("rows", f.rows());
      }
    }
    ObjectNode out = o.putObject("output");
    out.put("path", outFile.toString());
    out.put("size", Files.size(outFile));
    out.put("sha256", sha);
    out.put("rows", rows);
    Path tmp = manifest.resolveSibling("." + manifest.getFileName() + ".tmp");
    Files.writeString(tmp, JSON.writeValueAsString(o) + "\n", StandardCharsets.UTF_8);
    OfflineStore.fsync(tmp);
    Files.move(tmp, manifest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  static ReplayReport replay(Path manifest, RegistrySnapshot registry, OfflineStore store, Path repoDir,
                             ProgressListener progress) {
    JsonNode o;
    try {
      o = JSON.readTree(Files.readString(manifest, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new ExportInputException("Cannot read manifest " + manifest + ": " + e.getMessage(), manifest, null, e);
    }
    if (o == null || !MANIFEST_FORMAT.equals(o.path("format").asText())
        || o.path("formatVersion").asInt() != MANIFEST_FORMAT_VERSION) {
      throw new ExportInputException("Cannot read manifest " + manifest + ": not a " + MANIFEST_FORMAT
          + " version " + MANIFEST_FORMAT_VERSION + " file", manifest, null);
    }
    List<String> changed = new ArrayList<>();
    for (JsonNode v : o.path("views")) {
      String name = v.path("name").asText();
      try {
        String now = RegistrySnapshot.hash(registry.view(name));
        if (!now.equals(v.path("hash").asText())) {
          changed.add("view " + name + ": definition changed");
        }
      } catch (UserInputException e) {
        changed.add("view " + name + ": no longer in the registry");
      }
    }
    JsonNode sp = o.path("spine");
    if (sp.path("path").isNull() || sp.path("path").isMissingNode()) {
      throw new UserInputException("Cannot replay manifest " + manifest + ": the spine was given in Java, not as a file");
    }
    Path spinePath = Path.of(sp.path("path").asText());
    checkInput(spinePath, sp.path("sha256").asText(), changed);
    Map<String, List<InputFile>> inputs = new LinkedHashMap<>();
    for (JsonNode v : o.path("views")) {
      inputs.put(v.path("name").asText(), new ArrayList<>());
    }
    for (JsonNode in : o.path("inputs")) {
      Path p = Path.of(in.path("path").asText());
      checkInput(p, in.path("sha256").asText(), changed);
      inputs.computeIfAbsent(in.path("view").asText(), k -> new ArrayList<>()).add(new InputFile(
          in.path("view").asText(), p, in.path("schemaVersion").asInt(), in.path("index").asInt(), in.path("rows").asLong()));
    }
    JsonNode opts = o.path("options");
    List<String> refs = new ArrayList<>();
    opts.path("resolvedFeatures").forEach(r -> refs.add(r.asText()));
    Path out = Path.of(o.path("output").path("path").asText());
    String expected = o.path("output").path("sha256").asText();
    Path rebuilt = out.resolveSibling("." + out.getFileName() + ".replay-" + UUID.randomUUID());
    String actual = null;
    try {
      TrainingSetExport.Builder b = TrainingSetExport.builder(registry)
          .withStore(store).withRepoDir(repoDir).withSpine(spinePath).withFeatures(refs)
          .withOutput(rebuilt).withFormat(ExportFormat.parse(opts.path("format").asText()))
          .withFullFeatureNames(opts.path("fullFeatureNames").asBoolean())
          .withEventTimestamps(opts.path("eventTimestamps").asBoolean(false))
          .withTimestampColumn(opts.path("timestampColumn").asText())
          .withMemoryBudget(opts.path("memoryBudget").asLong(TrainingSetExport.DEFAULT_MEMORY_BUDGET))
          .withManifest(false).withProgress(progress).withExplicitInputs(inputs);
      if (!opts.path("asOf").isNull() && !opts.path("asOf").isMissingNode()) {
        b.withAsOf(java.time.Instant.parse(opts.path("asOf").asText()));
      }
      ExportResult r = b.build().run();
      actual = r.outputSha256();
    } catch (UserInputException e) {
      if (changed.isEmpty()) {
        throw e;
      }
    } finally {
      try {
        Files.deleteIfExists(rebuilt);
      } catch (IOException ignored) {
        // best effort
      }
    }
    ReplayReport report = new ReplayReport(expected.equals(actual), expected, actual, changed);
    if (!report.identical()) {
      throw new ReplayMismatchException("Cannot replay export " + manifest + ": the rebuilt output differs"
          + (actual == null ? " (it could not be rebuilt)" : " (sha256 " + actual + ", manifest " + expected + ")")
          + (changed.isEmpty() ? "; no input changed" : "; changed inputs: " + String.join("; ", changed)), report);
    }
    return report;
  }

  private static void checkInput(Path p, String sha, List<String> changed) {
    try {
      if (!Files.isRegularFile(p)) {
        changed.add(p + ": missing");
      } else if (!sha256(p).equals(sha)) {
        changed.add(p + ": content changed");
      }
    } catch (IOException e) {
      changed.add(p + ": unreadable (" + e.getMessage() + ")");
    }
  }

  /** The spill-file columns after the key(s): event, created, partition, offset, then the features. */
  private static void addOrderAndFeatureSlots(List<Column> slots, List<ValueType> featTypes) {
    slots.add(new Column("t", ValueType.INT64, 0));
    slots.add(new Column("c", ValueType.INT64, 0));
    slots.add(new Column("p", ValueType.INT32, 0));
    slots.add(new Column("o", ValueType.INT64, 0));
    for (int i = 0; i < featTypes.size(); i++) {
      slots.add(new Column("f" + i, featTypes.get(i), 0));
    }
  }
}
