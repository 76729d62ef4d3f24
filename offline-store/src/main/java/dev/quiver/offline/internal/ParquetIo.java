package dev.quiver.offline.internal;

import dev.quiver.registry.ValueType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.DummyRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * Column-at-a-time Parquet reading into {@link Column}s and writing of {@link Table}s, with fixed
 * writer settings (snappy, no timestamps in metadata) so the same table gives the same bytes.
 */
public final class ParquetIo {
  private ParquetIo() {}

  /** Thrown for a column that cannot be read as the requested type; the message names the column. */
  public static final class ColumnTypeException extends RuntimeException {
    public final String column;

    ColumnTypeException(String column, String message) {
      super(message);
      this.column = column;
    }
  }

  public static ParquetFileReader open(Path file) throws IOException {
    ParquetReadOptions opts = ParquetReadOptions.builder(new PlainParquetConfiguration()).build();
    return ParquetFileReader.open(new LocalInputFile(file), opts);
  }

  /** The file's schema. */
  public static MessageType schema(Path file) throws IOException {
    try (ParquetFileReader r = open(file)) {
      return r.getFooter().getFileMetaData().getSchema();
    }
  }

  /** The natural value type of a top-level field, or null when Quiver has no type for it. */
  public static ValueType naturalType(Type field) {
    if (field.isPrimitive()) {
      return primitiveType(field.asPrimitiveType());
    }
    GroupType g = field.asGroupType();
    if (g.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation
        && g.getFieldCount() == 1 && g.getType(0).isRepetition(Type.Repetition.REPEATED)) {
      Type rep = g.getType(0);
      Type elem = rep.isPrimitive() ? rep : (rep.asGroupType().getFieldCount() == 1 ? rep.asGroupType().getType(0) : null);
      if (elem != null && elem.isPrimitive()) {
        ValueType e = primitiveType(elem.asPrimitiveType());
        if (e != null && !e.isList()) {
          return ValueType.parse("LIST<" + e.typeName() + ">").orElse(null);
        }
      }
    }
    return null;
  }

  private static ValueType primitiveType(PrimitiveType p) {
    LogicalTypeAnnotation a = p.getLogicalTypeAnnotation();
    switch (p.getPrimitiveTypeName()) {
      case BOOLEAN:
        return ValueType.BOOL;
      case INT32:
        if (a == null || a instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation) {
          return ValueType.INT32;
        }
        return null;
      case INT64:
        if (a instanceof LogicalTypeAnnotation.TimestampLogicalTypeAnnotation) {
          return ValueType.TIMESTAMP;
        }
        if (a == null || a instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation) {
          return ValueType.INT64;
        }
        return null;
      case INT96:
        return ValueType.TIMESTAMP;
      case FLOAT:
        return ValueType.FLOAT32;
      case DOUBLE:
        return ValueType.FLOAT64;
      case BINARY:
      case FIXED_LEN_BYTE_ARRAY:
        if (a instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation
            || a instanceof LogicalTypeAnnotation.EnumLogicalTypeAnnotation
            || a instanceof LogicalTypeAnnotation.JsonLogicalTypeAnnotation) {
          return ValueType.STRING;
        }
        return a == null ? ValueType.BYTES : null;
      default:
        return null;
    }
  }

  /** Whether a column of natural type {@code from} can be read as {@code to}. */
  public static boolean readableAs(ValueType from, ValueType to) {
    if (from == to) {
      return true;
    }
    return switch (to) {
      case INT64 -> from == ValueType.INT32;
      case FLOAT64 -> from == ValueType.FLOAT32 || from == ValueType.INT32 || from == ValueType.INT64;
      case FLOAT32 -> from == ValueType.INT32;
      case STRING -> false;
      case BYTES -> from == ValueType.STRING;
      default -> false;
    };
  }

  /**
   * Reads the named top-level columns of a file, each as the given type (null = its natural
   * type). Columns must exist (callers check the schema first).
   *
   * @throws ColumnTypeException naming the column when its type does not fit
   */
  public static Table read(Path file, List<String> names, List<ValueType> types) throws IOException {
    Table[] out = new Table[1];
    read(file, names, types, t -> out[0] = t, false);
    return out[0];
  }

  /**
   * As {@link #read(Path, List, List)}, handing the rows to {@code sink} one row group at a time
   * when {@code perRowGroup}, else all at once.
   */
  public static void read(Path file, List<String> names, List<ValueType> types,
                          java.util.function.Consumer<Table> sink, boolean perRowGroup) throws IOException {
    try (ParquetFileReader r = open(file)) {
      read(r, names, types, sink, perRowGroup);
    }
  }

  /** As {@link #read(Path, List, List, java.util.function.Consumer, boolean)} from an open reader. */
  public static void read(ParquetFileReader r, List<String> names, List<ValueType> types,
                          java.util.function.Consumer<Table> sink, boolean perRowGroup) throws IOException {
    Groups g = new Groups(r, names, types);
    if (perRowGroup) {
      Table t;
      while ((t = g.next()) != null) {
        sink.accept(t);
      }
      return;
    }
    int total = (int) Math.min(Integer.MAX_VALUE, r.getRecordCount());
    List<Column> cols = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      cols.add(new Column(names.get(i), g.target.get(i), total));
    }
    PageReadStore pages;
    while ((pages = r.readNextRowGroup()) != null) {
      g.readGroup(pages, cols);
    }
    sink.accept(new Table(cols, total));
  }

  /** Reads a file's row groups one at a time, on demand ({@link #next}); closes the reader. */
  public static final class Groups implements java.io.Closeable {
    private final ParquetFileReader r;
    private final List<String> names;
    private final List<Type> fields = new ArrayList<>();
    private final List<ValueType> natural = new ArrayList<>();
    final List<ValueType> target = new ArrayList<>();
    private final MessageType proj;
    private final String createdBy;

    /** Opens a file; the caller closes the result. */
    public static Groups open(Path file, List<String> names, List<ValueType> types) throws IOException {
      ParquetFileReader r = ParquetIo.open(file);
      try {
        return new Groups(r, names, types);
      } catch (RuntimeException e) {
        r.close();
        throw e;
      }
    }

    Groups(ParquetFileReader r, List<String> names, List<ValueType> types) {
      this.r = r;
      this.names = names;
      MessageType schema = r.getFooter().getFileMetaData().getSchema();
      createdBy = r.getFooter().getFileMetaData().getCreatedBy();
      for (int i = 0; i < names.size(); i++) {
        Type f = schema.getType(names.get(i));
        ValueType nat = naturalType(f);
        if (nat == null) {
          throw new ColumnTypeException(names.get(i), "unsupported Parquet type " + f.toString().trim());
        }
        ValueType want = types.get(i) == null ? nat : types.get(i);
        if (!readableAs(nat, want)) {
          throw new ColumnTypeException(names.get(i), "expected " + want + " but found " + nat
              + " (" + f.toString().trim() + ")");
        }
        fields.add(f);
        natural.add(nat);
        target.add(want);
      }
      proj = new MessageType(schema.getName(), fields);
      r.setRequestedSchema(proj);
    }

    /** How many row groups the file has. */
    public int rowGroupCount() {
      return r.getRowGroups().size();
    }

    /** Skips the next row group without reading it; false at the end. */
    public boolean skip() {
      return r.skipNextRowGroup();
    }

    /** The next row group, or null at the end. */
    public Table next() throws IOException {
      PageReadStore pages = r.readNextRowGroup();
      if (pages == null) {
        return null;
      }
      long rows = pages.getRowCount();
      List<Column> cols = new ArrayList<>();
      for (int i = 0; i < names.size(); i++) {
        cols.add(new Column(names.get(i), target.get(i), (int) rows));
      }
      readGroup(pages, cols);
      return new Table(cols, (int) rows);
    }

    void readGroup(PageReadStore pages, List<Column> cols) throws IOException {
      long rows = pages.getRowCount();
      ColumnReadStoreImpl store = new ColumnReadStoreImpl(pages, new DummyRecordConverter(proj).getRootConverter(), proj, createdBy);
      for (int i = 0; i < fields.size(); i++) {
        Type f = fields.get(i);
        if (f.isPrimitive()) {
          ColumnDescriptor cd = proj.getColumnDescription(new String[] {f.getName()});
          int kind = pageKind(cd, f.asPrimitiveType(), natural.get(i), target.get(i));
          if (kind > 0) {
            readPages(pages.getPageReader(cd), cd, kind, cols.get(i), (int) rows);
            continue;
          }
          readPrimitive(store.getColumnReader(cd), cd, f.asPrimitiveType(), natural.get(i), cols.get(i), rows);
        } else {
          List<ColumnDescriptor> leaves = new ArrayList<>();
          for (ColumnDescriptor cd : proj.getColumns()) {
            if (cd.getPath()[0].equals(f.getName())) {
              leaves.add(cd);
            }
          }
          ColumnDescriptor cd = leaves.get(0);
          readList(store.getColumnReader(cd), cd, natural.get(i), target.get(i), cols.get(i), rows);
        }
      }
    }

    @Override
    public void close() throws IOException {
      r.close();
    }
  }

  private static void readPrimitive(ColumnReader cr, ColumnDescriptor cd, PrimitiveType pt, ValueType nat,
                                    Column out, long rows) {
    int maxDef = cd.getMaxDefinitionLevel();
    ValueType to = out.type;
    long tsFactor = 1;
    boolean tsDivide = false;
    if (nat == ValueType.TIMESTAMP && pt.getPrimitiveTypeName() == PrimitiveTypeName.INT64) {
      LogicalTypeAnnotation.TimestampLogicalTypeAnnotation ts =
          (LogicalTypeAnnotation.TimestampLogicalTypeAnnotation) pt.getLogicalTypeAnnotation();
      switch (ts.getUnit()) {
        case MILLIS -> tsFactor = 1000;
        case NANOS -> {
          tsFactor = 1000;
          tsDivide = true;
        }
        default -> tsFactor = 1;
      }
    }
    if (fastRead(cr, maxDef, pt, nat, out, (int) rows)) {
      return;
    }
    for (long r = 0; r < rows; r++) {
      if (cr.getCurrentDefinitionLevel() < maxDef) {
        out.addNull();
        cr.consume();
        continue;
      }
      switch (nat) {
        case BOOL -> out.addInt(cr.getBoolean() ? 1 : 0);
        case INT32 -> {
          int v = cr.getInteger();
          switch (to) {
            case INT64 -> out.addLong(v);
            case FLOAT64 -> out.addLong(Double.doubleToRawLongBits(v));
            case FLOAT32 -> out.addInt(Float.floatToRawIntBits(v));
            default -> out.addInt(v);
          }
        }
        case INT64 -> {
          long v = cr.getLong();
          out.addLong(to == ValueType.FLOAT64 ? Double.doubleToRawLongBits(v) : v);
        }
        case TIMESTAMP -> {
          if (pt.getPrimitiveTypeName() == PrimitiveTypeName.INT96) {
            out.addLong(int96ToMicros(cr.getBinary()));
          } else {
            long v = cr.getLong();
            out.addLong(tsDivide ? Math.floorDiv(v, tsFactor) : v * tsFactor);
          }
        }
        case FLOAT32 -> {
          float v = cr.getFloat();
          if (to == ValueType.FLOAT64) {
            out.addLong(Double.doubleToRawLongBits(v));
          } else {
            out.addInt(Float.floatToRawIntBits(v));
          }
        }
        case FLOAT64 -> out.addLong(Double.doubleToRawLongBits(cr.getDouble()));
        case STRING -> {
          Binary b = cr.getBinary();
          out.addObj(to == ValueType.BYTES ? b.getBytes() : b.toStringUsingUTF8());
        }
        case BYTES -> out.addObj(cr.getBinary().getBytes());
        default -> throw new IllegalStateException(nat.toString());
      }
      cr.consume();
    }
  }

  /**
   * Which page-level loop reads this column: 1 = INT64 (or micros) to long, 2 = DOUBLE to long
   * bits, 3 = INT32 to int, 4 = FLOAT to int bits; 0 = use a column reader.
   */
  private static int pageKind(ColumnDescriptor cd, PrimitiveType pt, ValueType nat, ValueType to) {
    if (cd.getMaxRepetitionLevel() != 0) {
      return 0;
    }
    PrimitiveTypeName phys = pt.getPrimitiveTypeName();
    if (phys == PrimitiveTypeName.INT64 && (to == ValueType.INT64 || to == ValueType.TIMESTAMP)
        && (nat == ValueType.INT64 || isMicros(pt))) {
      return 1;
    }
    if (phys == PrimitiveTypeName.DOUBLE && to == ValueType.FLOAT64) {
      return 2;
    }
    if (phys == PrimitiveTypeName.INT32 && nat == ValueType.INT32 && to == ValueType.INT32) {
      return 3;
    }
    if (phys == PrimitiveTypeName.FLOAT && to == ValueType.FLOAT32) {
      return 4;
    }
    return 0;
  }

  /** Decodes the pages of a flat column straight into the column's array (dictionary ids via a lookup array). */
  private static void readPages(org.apache.parquet.column.page.PageReader pr, ColumnDescriptor cd, int kind,
                                Column out, int rows) throws IOException {
    int maxDef = cd.getMaxDefinitionLevel();
    org.apache.parquet.column.page.DictionaryPage dp = pr.readDictionaryPage();
    org.apache.parquet.column.Dictionary dict = dp == null ? null : dp.getEncoding().initDictionary(cd, dp);
    long[] dl = null;
    int[] di = null;
    if (dict != null) {
      int m = dict.getMaxId() + 1;
      if (kind <= 2) {
        dl = new long[m];
        for (int i = 0; i < m; i++) {
          dl[i] = kind == 1 ? dict.decodeToLong(i) : Double.doubleToRawLongBits(dict.decodeToDouble(i));
        }
      } else {
        di = new int[m];
        for (int i = 0; i < m; i++) {
          di[i] = kind == 3 ? dict.decodeToInt(i) : Float.floatToRawIntBits(dict.decodeToFloat(i));
        }
      }
    }
    out.reserve(rows);
    int pos = out.size;
    int end = pos + rows;
    long[] la = out.longs;
    int[] ia = out.ints;
    while (pos < end) {
      org.apache.parquet.column.page.DataPage page = pr.readPage();
      if (page == null) {
        throw new IOException("column " + cd + " has fewer values than rows");
      }
      int n = page.getValueCount();
      org.apache.parquet.column.values.ValuesReader defs = null;
      org.apache.parquet.column.values.ValuesReader vals;
      org.apache.parquet.column.Encoding enc;
      if (page instanceof org.apache.parquet.column.page.DataPageV1 v1) {
        org.apache.parquet.bytes.ByteBufferInputStream in = v1.getBytes().toInputStream();
        v1.getRlEncoding().getValuesReader(cd, org.apache.parquet.column.ValuesType.REPETITION_LEVEL).initFromPage(n, in);
        org.apache.parquet.column.values.ValuesReader d =
            v1.getDlEncoding().getValuesReader(cd, org.apache.parquet.column.ValuesType.DEFINITION_LEVEL);
        d.initFromPage(n, in);
        defs = maxDef > 0 ? d : null;
        enc = v1.getValueEncoding();
        vals = enc.usesDictionary()
            ? enc.getDictionaryBasedValuesReader(cd, org.apache.parquet.column.ValuesType.VALUES, dict)
            : enc.getValuesReader(cd, org.apache.parquet.column.ValuesType.VALUES);
        vals.initFromPage(n, in);
      } else {
        org.apache.parquet.column.page.DataPageV2 v2 = (org.apache.parquet.column.page.DataPageV2) page;
        if (maxDef > 0) {
          defs = new org.apache.parquet.column.values.rle.RunLengthBitPackingHybridValuesReader(
              org.apache.parquet.bytes.BytesUtils.getWidthFromMaxInt(maxDef));
          defs.initFromPage(n, v2.getDefinitionLevels().toInputStream());
        }
        enc = v2.getDataEncoding();
        vals = enc.usesDictionary()
            ? enc.getDictionaryBasedValuesReader(cd, org.apache.parquet.column.ValuesType.VALUES, dict)
            : enc.getValuesReader(cd, org.apache.parquet.column.ValuesType.VALUES);
        vals.initFromPage(n, v2.getData().toInputStream());
      }
      boolean ids = enc.usesDictionary();
      if (pos + n > end) {
        throw new IOException("column " + cd + " has more values than rows");
      }
      for (int i = 0; i < n; i++, pos++) {
        if (defs != null && defs.readInteger() < maxDef) {
          out.nulls.set(pos);
          continue;
        }
        if (ids) {
          int id = vals.readValueDictionaryId();
          if (kind <= 2) {
            la[pos] = dl[id];
          } else {
            ia[pos] = di[id];
          }
        } else {
          switch (kind) {
            case 1 -> la[pos] = vals.readLong();
            case 2 -> la[pos] = Double.doubleToRawLongBits(vals.readDouble());
            case 3 -> ia[pos] = vals.readInteger();
            default -> ia[pos] = Float.floatToRawIntBits(vals.readFloat());
          }
        }
      }
    }
    out.size = end;
  }

  /** Tight loops for the common same-width cases; false when the generic path must be used. */
  private static boolean fastRead(ColumnReader cr, int maxDef, PrimitiveType pt, ValueType nat, Column out, int rows) {
    ValueType to = out.type;
    PrimitiveTypeName phys = pt.getPrimitiveTypeName();
    int base = out.size;
    if (phys == PrimitiveTypeName.INT64 && (to == ValueType.INT64 || to == ValueType.TIMESTAMP)
        && (nat == ValueType.INT64 || isMicros(pt))) {
      out.reserve(rows);
      long[] a = out.longs;
      for (int i = 0; i < rows; i++) {
        if (cr.getCurrentDefinitionLevel() == maxDef) {
          a[base + i] = cr.getLong();
        } else {
          out.nulls.set(base + i);
        }
        cr.consume();
      }
    } else if (phys == PrimitiveTypeName.DOUBLE && to == ValueType.FLOAT64) {
      out.reserve(rows);
      long[] a = out.longs;
      for (int i = 0; i < rows; i++) {
        if (cr.getCurrentDefinitionLevel() == maxDef) {
          a[base + i] = Double.doubleToRawLongBits(cr.getDouble());
        } else {
          out.nulls.set(base + i);
        }
        cr.consume();
      }
    } else if (phys == PrimitiveTypeName.INT32 && nat == ValueType.INT32 && to == ValueType.INT32) {
      out.reserve(rows);
      int[] a = out.ints;
      for (int i = 0; i < rows; i++) {
        if (cr.getCurrentDefinitionLevel() == maxDef) {
          a[base + i] = cr.getInteger();
        } else {
          out.nulls.set(base + i);
        }
        cr.consume();
      }
    } else if (phys == PrimitiveTypeName.FLOAT && to == ValueType.FLOAT32) {
      out.reserve(rows);
      int[] a = out.ints;
      for (int i = 0; i < rows; i++) {
        if (cr.getCurrentDefinitionLevel() == maxDef) {
          a[base + i] = Float.floatToRawIntBits(cr.getFloat());
        } else {
          out.nulls.set(base + i);
        }
        cr.consume();
      }
    } else {
      return false;
    }
    out.size = base + rows;
    return true;
  }

  private static boolean isMicros(PrimitiveType pt) {
    return pt.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.TimestampLogicalTypeAnnotation ts
        && ts.getUnit() == LogicalTypeAnnotation.TimeUnit.MICROS;
  }

  private static long int96ToMicros(Binary b) {
    java.nio.ByteBuffer buf = b.toByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN);
    long nanosOfDay = buf.getLong();
    int julianDay = buf.getInt();
    long days = julianDay - 2_440_588L;
    return days * 86_400_000_000L + Math.floorDiv(nanosOfDay, 1000);
  }

  private static void readList(ColumnReader cr, ColumnDescriptor cd, ValueType nat, ValueType to, Column out, long rows) {
    int maxDef = cd.getMaxDefinitionLevel();
    // definition levels: below listDef = null list; listDef = empty list; maxDef = an element
    int listDef = cd.getPrimitiveType().isRepetition(Type.Repetition.OPTIONAL) ? maxDef - 2 : maxDef - 1;
    ValueType elem = nat.elementType().orElseThrow();
    ValueType toElem = to.elementType().orElseThrow();
    long total = cr.getTotalValueCount();
    long read = 0;
    for (long r = 0; r < rows; r++) {
      int def = cr.getCurrentDefinitionLevel();
      List<Object> cur = def < listDef ? null : new ArrayList<>();
      if (def == maxDef) {
        cur.add(element(cr, elem, toElem));
      }
      cr.consume();
      read++;
      while (read < total && cr.getCurrentRepetitionLevel() > 0) {
        if (cr.getCurrentDefinitionLevel() == maxDef && cur != null) {
          cur.add(element(cr, elem, toElem));
        }
        cr.consume();
        read++;
      }
      out.addObj(cur == null ? null : List.copyOf(cur));
    }
  }

  private static Object element(ColumnReader cr, ValueType elem, ValueType to) {
    Object v = switch (elem) {
      case BOOL -> cr.getBoolean();
      case INT32 -> cr.getInteger();
      case INT64 -> cr.getLong();
      case FLOAT32 -> cr.getFloat();
      case FLOAT64 -> cr.getDouble();
      case STRING -> cr.getBinary().toStringUsingUTF8();
      case BYTES -> cr.getBinary().getBytes();
      case TIMESTAMP -> dev.quiver.registry.Timestamps.fromMicros(cr.getLong());
      default -> throw new IllegalStateException(elem.toString());
    };
    return to == elem ? v : to.coerce(v);
  }

  // ---------------------------------------------------------------- writing

  /** The Parquet type of a column of this value type (all optional; lists in the 3-level form). */
  public static Type parquetType(String name, ValueType t) {
    if (t.isList()) {
      ValueType e = t.elementType().orElseThrow();
      return Types.optionalList().element(primitive(e, Type.Repetition.REQUIRED, "element")).named(name);
    }
    return primitive(t, Type.Repetition.OPTIONAL, name);
  }

  private static PrimitiveType primitive(ValueType t, Type.Repetition rep, String name) {
    return switch (t) {
      case BOOL -> Types.primitive(PrimitiveTypeName.BOOLEAN, rep).named(name);
      case INT32 -> Types.primitive(PrimitiveTypeName.INT32, rep).named(name);
      case INT64 -> Types.primitive(PrimitiveTypeName.INT64, rep).named(name);
      case FLOAT32 -> Types.primitive(PrimitiveTypeName.FLOAT, rep).named(name);
      case FLOAT64 -> Types.primitive(PrimitiveTypeName.DOUBLE, rep).named(name);
      case STRING -> Types.primitive(PrimitiveTypeName.BINARY, rep).as(LogicalTypeAnnotation.stringType()).named(name);
      case BYTES -> Types.primitive(PrimitiveTypeName.BINARY, rep).named(name);
      case TIMESTAMP -> Types.primitive(PrimitiveTypeName.INT64, rep)
          .as(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MICROS)).named(name);
      default -> throw new IllegalArgumentException(t.toString());
    };
  }

  public static MessageType messageType(List<Column> cols) {
    List<Type> fields = new ArrayList<>();
    for (Column c : cols) {
      fields.add(parquetType(c.name, c.type));
    }
    return new MessageType("quiver", fields);
  }

  /** Writes rows of a table; use {@link #writer(Path, List)} and call {@code write(row)}. */
  public static ParquetWriter<Integer> writer(Path file, List<Column> cols) throws IOException {
    return writer(file, cols, 64L * 1024 * 1024);
  }

  /** As {@link #writer(Path, List)} with row groups of about {@code rowGroupBytes} (spill files). */
  public static ParquetWriter<Integer> writer(Path file, List<Column> cols, long rowGroupBytes) throws IOException {
    return new TableWriterBuilder(new LocalOutputFile(file), cols)
        .withConf(new PlainParquetConfiguration())
        .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
        .withCompressionCodec(CompressionCodecName.SNAPPY)
        .withWriterVersion(ParquetProperties.WriterVersion.PARQUET_1_0)
        .withRowGroupSize(rowGroupBytes)
        .withPageSize((int) Math.min(1024 * 1024, Math.max(64 * 1024, rowGroupBytes / 4)))
        .build();
  }

  public static final int ROWS_PER_GROUP = 1 << 20;

  /**
   * Writes a whole table to a file: flat tables straight through the column writers, in row
   * groups of {@value #ROWS_PER_GROUP} rows; tables with list columns through {@link #writer}.
   */
  public static void write(Path file, Table t) throws IOException {
    boolean flat = t.columns().stream().noneMatch(c -> c.type.isList());
    if (flat) {
      writeFlat(file, t);
      return;
    }
    try (ParquetWriter<Integer> w = writer(file, t.columns())) {
      for (int i = 0; i < t.rows(); i++) {
        w.write(i);
      }
    }
  }

  private static void writeFlat(Path file, Table t) throws IOException {
    try (TableSink w = new FlatSink(file, t.columns())) {
      List<Column> cols = t.columns();
      int rows = t.rows();
      FlatSink fs = (FlatSink) w;
      for (int from = 0; from < rows; from += ROWS_PER_GROUP) {
        fs.writeRange(cols, from, Math.min(rows, from + ROWS_PER_GROUP));
      }
    }
  }

  /**
   * A writer taking a table in consecutive chunks (same columns each time) whose file is
   * byte-identical to {@link #write(Path, Table)} of the whole table, provided every chunk but the
   * last has exactly {@value #ROWS_PER_GROUP} rows when the table is flat (a chunk is one row
   * group); tables with list columns may come in chunks of any size.
   */
  public static TableSink sink(Path file, List<Column> schemaCols) throws IOException {
    boolean flat = schemaCols.stream().noneMatch(c -> c.type.isList());
    if (flat) {
      return new FlatSink(file, schemaCols);
    }
    List<Column> cols = new ArrayList<>(schemaCols);
    ParquetWriter<Integer> w = writer(file, cols);
    return new TableSink() {
      @Override
      public void write(Table chunk) throws IOException {
        List<Column> cs = chunk.columns();
        for (int c = 0; c < cs.size(); c++) {
          cols.set(c, cs.get(c));
        }
        for (int i = 0; i < chunk.rows(); i++) {
          w.write(i);
        }
      }

      @Override
      public void close() throws IOException {
        w.close();
      }
    };
  }

  private static final class FlatSink implements TableSink {
    private final MessageType schema;
    private final ParquetProperties props;
    private final ParquetFileWriter fw;
    private final org.apache.parquet.hadoop.CodecFactory codecs;
    private final org.apache.parquet.compression.CompressionCodecFactory.BytesInputCompressor comp;

    FlatSink(Path file, List<Column> cols) throws IOException {
      schema = messageType(cols);
      props = ParquetProperties.builder()
          .withWriterVersion(ParquetProperties.WriterVersion.PARQUET_1_0)
          .withPageSize(1024 * 1024)
          .withDictionaryPageSize(1024 * 1024)
          .withDictionaryEncoding(true)
          .build();
      fw = new ParquetFileWriter(new LocalOutputFile(file), schema, ParquetFileWriter.Mode.OVERWRITE,
          128L * 1024 * 1024, 0, null, props);
      codecs = new org.apache.parquet.hadoop.CodecFactory(new org.apache.hadoop.conf.Configuration(false),
          props.getPageSizeThreshold());
      try {
        comp = codecs.getCompressor(CompressionCodecName.SNAPPY);
        fw.start();
      } catch (IOException | RuntimeException e) {
        codecs.release();
        throw e;
      }
    }

    @Override
    public void write(Table chunk) throws IOException {
      if (chunk.rows() > 0) {
        writeRange(chunk.columns(), 0, chunk.rows());
      }
    }

    void writeRange(List<Column> cols, int from, int to) throws IOException {
      List<ColumnDescriptor> descs = schema.getColumns();
      fw.startBlock(to - from);
      org.apache.parquet.hadoop.ColumnChunkPageWriteStore pages = new org.apache.parquet.hadoop.ColumnChunkPageWriteStore(
          comp, schema, props.getAllocator(), props.getColumnIndexTruncateLength(), props.getPageWriteChecksumEnabled());
      org.apache.parquet.column.ColumnWriteStore store = props.newColumnWriteStore(schema, pages, pages);
      org.apache.parquet.column.ColumnWriter[] ws = new org.apache.parquet.column.ColumnWriter[cols.size()];
      for (int c = 0; c < ws.length; c++) {
        ws[c] = store.getColumnWriter(descs.get(c));
      }
      for (int r = from; r < to; r++) {
        for (int c = 0; c < ws.length; c++) {
          Column col = cols.get(c);
          org.apache.parquet.column.ColumnWriter w = ws[c];
          if (col.isNull(r)) {
            w.writeNull(0, 0);
            continue;
          }
          switch (col.type) {
            case BOOL -> w.write(col.ints[r] != 0, 0, 1);
            case INT32 -> w.write(col.ints[r], 0, 1);
            case FLOAT32 -> w.write(Float.intBitsToFloat(col.ints[r]), 0, 1);
            case INT64, TIMESTAMP -> w.write(col.longs[r], 0, 1);
            case FLOAT64 -> w.write(Double.longBitsToDouble(col.longs[r]), 0, 1);
            case STRING -> w.write(Binary.fromString((String) col.objs[r]), 0, 1);
            case BYTES -> w.write(Binary.fromConstantByteArray((byte[]) col.objs[r]), 0, 1);
            default -> throw new IllegalStateException(col.type.toString());
          }
        }
        store.endRecord();
      }
      store.flush();
      pages.flushToFileWriter(fw);
      fw.endBlock();
      store.close();
      pages.close();
    }

    @Override
    public void close() throws IOException {
      try {
        fw.end(new HashMap<>());
      } finally {
        codecs.release();
      }
    }
  }

  private static final class TableWriterBuilder extends ParquetWriter.Builder<Integer, TableWriterBuilder> {
    private final List<Column> cols;

    TableWriterBuilder(org.apache.parquet.io.OutputFile file, List<Column> cols) {
      super(file);
      this.cols = cols;
    }

    @Override
    protected TableWriterBuilder self() {
      return this;
    }

    @Override
    protected WriteSupport<Integer> getWriteSupport(org.apache.hadoop.conf.Configuration conf) {
      return new TableWriteSupport(cols);
    }

    @Override
    protected WriteSupport<Integer> getWriteSupport(ParquetConfiguration conf) {
      return new TableWriteSupport(cols);
    }
  }

  /** Writes row {@code i} of the columns; columns may be swapped between row groups via {@link #cols}. */
  static final class TableWriteSupport extends WriteSupport<Integer> {
    final List<Column> cols;
    private RecordConsumer rc;

    TableWriteSupport(List<Column> cols) {
      this.cols = cols;
    }

    @Override
    public WriteContext init(org.apache.hadoop.conf.Configuration configuration) {
      return new WriteContext(messageType(cols), new HashMap<>());
    }

    @Override
    public WriteContext init(ParquetConfiguration configuration) {
      return new WriteContext(messageType(cols), new HashMap<>());
    }

    @Override
    public void prepareForWrite(RecordConsumer recordConsumer) {
      this.rc = recordConsumer;
    }

    @Override
    public void write(Integer row) {
      int i = row;
      rc.startMessage();
      for (int c = 0; c < cols.size(); c++) {
        Column col = cols.get(c);
        if (col.isNull(i)) {
          continue;
        }
        rc.startField(col.name, c);
        switch (col.type) {
          case BOOL -> rc.addBoolean(col.ints[i] != 0);
          case INT32 -> rc.addInteger(col.ints[i]);
          case FLOAT32 -> rc.addFloat(Float.intBitsToFloat(col.ints[i]));
          case INT64, TIMESTAMP -> rc.addLong(col.longs[i]);
          case FLOAT64 -> rc.addDouble(Double.longBitsToDouble(col.longs[i]));
          case STRING -> rc.addBinary(Binary.fromString((String) col.objs[i]));
          case BYTES -> rc.addBinary(Binary.fromConstantByteArray((byte[]) col.objs[i]));
          default -> writeList(col.type.elementType().orElseThrow(), (List<?>) col.objs[i]);
        }
        rc.endField(col.name, c);
      }
      rc.endMessage();
    }

    private void writeList(ValueType elem, List<?> list) {
      rc.startGroup();
      if (!list.isEmpty()) {
        rc.startField("list", 0);
        for (Object o : list) {
          rc.startGroup();
          rc.startField("element", 0);
          switch (elem) {
            case BOOL -> rc.addBoolean((Boolean) o);
            case INT32 -> rc.addInteger((Integer) o);
            case FLOAT32 -> rc.addFloat((Float) o);
            case INT64 -> rc.addLong((Long) o);
            case TIMESTAMP -> rc.addLong(dev.quiver.registry.Timestamps.toMicros((java.time.Instant) o));
            case FLOAT64 -> rc.addDouble((Double) o);
            case STRING -> rc.addBinary(Binary.fromString((String) o));
            case BYTES -> rc.addBinary(Binary.fromConstantByteArray((byte[]) o));
            default -> throw new IllegalStateException(elem.toString());
          }
          rc.endField("element", 0);
          rc.endGroup();
        }
        rc.endField("list", 0);
      }
      rc.endGroup();
    }
  }

  /** Column descriptors' names, for error messages. */
  static Map<String, Type> fieldsByName(MessageType schema) {
    Map<String, Type> m = new HashMap<>();
    for (Type t : schema.getFields()) {
      m.put(t.getName(), t);
    }
    return m;
  }
}
