package dev.quiver.offline;

import dev.quiver.registry.UserInputException;
import java.util.Locale;

/** The file format of an exported training set. */
public enum ExportFormat {
  PARQUET, ARROW, CSV;

  /** Parses {@code parquet}, {@code arrow} or {@code csv} (case-insensitive). */
  public static ExportFormat parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (RuntimeException e) {
      throw new UserInputException("Cannot parse export format: \"" + text + "\" (expected parquet, arrow or csv)");
    }
  }

  public String lowerName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
