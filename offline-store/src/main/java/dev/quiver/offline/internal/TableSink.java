package dev.quiver.offline.internal;

import java.io.Closeable;
import java.io.IOException;

/** Writes a table handed over in consecutive chunks of rows (same columns each time). */
public interface TableSink extends Closeable {
  void write(Table chunk) throws IOException;
}
