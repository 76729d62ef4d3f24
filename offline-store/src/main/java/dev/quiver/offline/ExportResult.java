package dev.quiver.offline;

import java.nio.file.Path;
import java.util.List;

/**
 * What an export wrote.
 *
 * @param manifest the manifest path, or null when the export wrote none
 * @param columns the output's column names, in order
 */
public record ExportResult(Path output, Path manifest, long rows, String outputSha256, List<String> columns) {
  public ExportResult {
    columns = List.copyOf(columns);
  }
}
