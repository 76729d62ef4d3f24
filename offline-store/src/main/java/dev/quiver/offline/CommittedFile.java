package dev.quiver.offline;

import java.nio.file.Path;
import java.time.LocalDate;

/**
 * One data file of the offline store named by a commit record.
 *
 * @param path absolute path of the file
 * @param firstOffset smallest source offset in the file
 * @param lastOffset largest source offset in the file
 */
public record CommittedFile(String view, int schemaVersion, LocalDate date, int partition, long firstOffset,
                            long lastOffset, long rows, long minEventMicros, long maxEventMicros, Path path) {
}
