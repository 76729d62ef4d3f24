package dev.quiver.offline.internal;

import dev.quiver.registry.Timestamps;
import dev.quiver.registry.ValueType;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/** Writes a table as an Arrow IPC file, in record batches of {@value #BATCH} rows. */
public final class ArrowOut {
  public static final int BATCH = 65_536;

  private ArrowOut() {}

  static ArrowType arrowType(ValueType t) {
    return switch (t) {
      case BOOL -> ArrowType.Bool.INSTANCE;
      case INT32 -> new ArrowType.Int(32, true);
      case INT64 -> new ArrowType.Int(64, true);
      case FLOAT32 -> new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
      case FLOAT64 -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
      case STRING -> ArrowType.Utf8.INSTANCE;
      case BYTES -> ArrowType.Binary.INSTANCE;
      case TIMESTAMP -> new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC");
      default -> ArrowType.List.INSTANCE;
    };
  }

  static Field field(String name, ValueType t) {
    if (t.isList()) {
      ValueType e = t.elementType().orElseThrow();
      return new Field(name, FieldType.nullable(ArrowType.List.INSTANCE),
          List.of(new Field("element", FieldType.notNullable(arrowType(e)), null)));
    }
    return new Field(name, FieldType.nullable(arrowType(t)), null);
  }

  public static void write(Path file, Table t) throws IOException {
    List<Field> fields = new ArrayList<>();
    for (Column c : t.columns()) {
      fields.add(field(c.name, c.type));
    }
    Schema schema = new Schema(fields);
    try (BufferAllocator alloc = new RootAllocator();
         VectorSchemaRoot root = VectorSchemaRoot.create(schema, alloc);
         FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
             StandardOpenOption.TRUNCATE_EXISTING);
         ArrowFileWriter w = new ArrowFileWriter(root, null, ch)) {
      w.start();
      List<Column> cols = t.columns();
      for (int from = 0; from < t.rows() || (from == 0 && t.rows() == 0); from += BATCH) {
        int to = Math.min(t.rows(), from + BATCH);
        root.allocateNew();
        for (int c = 0; c < cols.size(); c++) {
          fill(root.getVector(c), cols.get(c), from, to);
        }
        root.setRowCount(to - from);
        w.writeBatch();
        if (t.rows() == 0) {
          break;
        }
      }
      w.end();
    }
  }

  /**
   * A writer taking the table in consecutive chunks whose file is byte-identical to
   * {@link #write(Path, Table)} of the whole table, provided every chunk but the last has a
   * multiple of {@value #BATCH} rows.
   */
  public static TableSink sink(Path file, List<Column> schemaCols) throws IOException {
    List<Field> fields = new ArrayList<>();
    for (Column c : schemaCols) {
      fields.add(field(c.name, c.type));
    }
    Schema schema = new Schema(fields);
    BufferAllocator alloc = new RootAllocator();
    VectorSchemaRoot root = VectorSchemaRoot.create(schema, alloc);
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING);
    ArrowFileWriter w = new ArrowFileWriter(root, null, ch);
    w.start();
    return new TableSink() {
      private boolean any;

      @Override
      public void write(Table chunk) throws IOException {
        List<Column> cols = chunk.columns();
        for (int from = 0; from < chunk.rows(); from += BATCH) {
          int to = Math.min(chunk.rows(), from + BATCH);
          root.allocateNew();
          for (int c = 0; c < cols.size(); c++) {
            fill(root.getVector(c), cols.get(c), from, to);
          }
          root.setRowCount(to - from);
          w.writeBatch();
          any = true;
        }
      }

      @Override
      public void close() throws IOException {
        try (alloc; root; ch; w) {
          if (!any) {
            root.allocateNew();
            for (int c = 0; c < schemaCols.size(); c++) {
              fill(root.getVector(c), schemaCols.get(c), 0, 0);
            }
            root.setRowCount(0);
            w.writeBatch();
          }
          w.end();
        }
      }
    };
  }

  private static void fill(FieldVector v, Column c, int from, int to) {
    int n = to - from;
    for (int i = 0; i < n; i++) {
      int r = from + i;
      boolean isNull = c.isNull(r);
      switch (c.type) {
        case BOOL -> {
          if (isNull) ((BitVector) v).setNull(i); else ((BitVector) v).setSafe(i, c.ints[r]);
        }
        case INT32 -> {
          if (isNull) ((IntVector) v).setNull(i); else ((IntVector) v).setSafe(i, c.ints[r]);
        }
        case FLOAT32 -> {
          if (isNull) ((Float4Vector) v).setNull(i); else ((Float4Vector) v).setSafe(i, Float.intBitsToFloat(c.ints[r]));
        }
        case INT64 -> {
          if (isNull) ((BigIntVector) v).setNull(i); else ((BigIntVector) v).setSafe(i, c.longs[r]);
        }
        case FLOAT64 -> {
          if (isNull) ((Float8Vector) v).setNull(i); else ((Float8Vector) v).setSafe(i, Double.longBitsToDouble(c.longs[r]));
        }
        case TIMESTAMP -> {
          if (isNull) ((TimeStampMicroTZVector) v).setNull(i); else ((TimeStampMicroTZVector) v).setSafe(i, c.longs[r]);
        }
        case STRING -> {
          if (isNull) ((VarCharVector) v).setNull(i);
          else ((VarCharVector) v).setSafe(i, ((String) c.objs[r]).getBytes(StandardCharsets.UTF_8));
        }
        case BYTES -> {
          if (isNull) ((VarBinaryVector) v).setNull(i); else ((VarBinaryVector) v).setSafe(i, (byte[]) c.objs[r]);
        }
        default -> {
          // lists are written below in one pass
        }
      }
    }
    if (c.type.isList()) {
      fillList((ListVector) v, c, from, to);
    }
    v.setValueCount(n);
  }

  private static void fillList(ListVector v, Column c, int from, int to) {
    ValueType e = c.type.elementType().orElseThrow();
    UnionListWriter w = v.getWriter();
    for (int r = from; r < to; r++) {
      w.setPosition(r - from);
      if (c.isNull(r)) {
        continue;
      }
      w.startList();
      for (Object o : (List<?>) c.objs[r]) {
        switch (e) {
          case BOOL -> w.bit().writeBit((Boolean) o ? 1 : 0);
          case INT32 -> w.integer().writeInt((Integer) o);
          case INT64 -> w.bigInt().writeBigInt((Long) o);
          case FLOAT32 -> w.float4().writeFloat4((Float) o);
          case FLOAT64 -> w.float8().writeFloat8((Double) o);
          case TIMESTAMP -> w.bigInt().writeBigInt(Timestamps.toMicros((java.time.Instant) o));
          case STRING -> w.writeVarChar((String) o);
          default -> w.writeVarBinary((byte[]) o);
        }
      }
      w.endList();
    }
    w.setValueCount(to - from);
  }
}
