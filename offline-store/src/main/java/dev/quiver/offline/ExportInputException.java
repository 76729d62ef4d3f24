package dev.quiver.offline;

import dev.quiver.registry.UserInputException;
import java.nio.file.Path;

/**
 * An input of an export (the spine, a feature file) that cannot be used: missing, unreadable,
 * corrupt, or a column missing or of the wrong type. The message names the file and the column.
 */
public class ExportInputException extends UserInputException {
  private final transient Path file;
  private final String column;

  public ExportInputException(String message, Path file, String column, Throwable cause) {
    super(message, cause);
    this.file = file;
    this.column = column;
  }

  public ExportInputException(String message, Path file, String column) {
    this(message, file, column, null);
  }

  /** The file, or null for a spine given in Java. */
  public Path file() {
    return file;
  }

  /** The column, or null when the whole file is at fault. */
  public String column() {
    return column;
  }
}
