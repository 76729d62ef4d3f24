package dev.quiver.materializer;

/**
 * The dead-letter topic's contract. A record the materializer cannot store is copied there with
 * its original key, value and headers, plus these headers (UTF-8 text): {@link #ERROR_CLASS} (a
 * {@link Reason} name), {@link #ERROR_MESSAGE}, {@link #SOURCE_TOPIC}, {@link #SOURCE_PARTITION},
 * {@link #SOURCE_OFFSET} (decimal) and {@link #SOURCE_GROUP}.
 *
 * <p>Each bad record is there once, across crashes: a record is sent (and the send flushed)
 * before the position past it is committed, and a materializer that takes over a partition reads
 * the letters sent after that partition's last committed position (from the dead-letter offsets
 * recorded with it) and takes the records they name as dead-lettered, not to be sent again. Only
 * when the dead-letter topic cannot be read then (a warning says so), or the position was
 * written by a version that recorded no dead-letter offsets, may a record be dead-lettered twice;
 * it is never lost.
 */
public final class DeadLetters {
  public static final String DEFAULT_TOPIC = "quiver.dlq";
  public static final String ERROR_CLASS = "quiver.error.class";
  public static final String ERROR_MESSAGE = "quiver.error.message";
  public static final String SOURCE_TOPIC = "quiver.source.topic";
  public static final String SOURCE_PARTITION = "quiver.source.partition";
  public static final String SOURCE_OFFSET = "quiver.source.offset";
  /** The consumer group of the materializer that decided (letters of other groups decide nothing for it). */
  public static final String SOURCE_GROUP = "quiver.source.group";
  /**
   * Present when the dead letter leaves out parts of the source record that did not fit the
   * dead-letter topic's size limit: which ones and their sizes (the headers above always stay).
   */
  public static final String DROPPED = "quiver.dropped";

  private DeadLetters() {}

  /** Why a record was dead-lettered. */
  public enum Reason {
    /** No value, a value shorter than the header, not single-object encoded, or a truncated body. */
    NOT_DECODABLE,
    /** The fingerprint is not that of any registered version of any view. */
    UNKNOWN_FINGERPRINT,
    /** The body does not match its writer schema (bad union index, trailing bytes, ...), the writer
     *  version does not resolve to the view's current version, or a header is malformed. */
    SCHEMA_VIOLATION,
    /** No event time, or a {@code created_ts} header that is present but empty. */
    MISSING_TIMESTAMP,
    /** An event or created time before 1970 or further in the future than the allowed skew. */
    TIMESTAMP_OUT_OF_RANGE,
    /** The record key is missing or is not the entity key of the value's join keys. */
    KEY_MISMATCH,
    /** The value's view does not read the topic the record came from (its source names another). */
    WRONG_TOPIC,
    /** The online store refused the decoded event (e.g. a view or version it does not know). */
    STORE_REJECTED
  }
}
