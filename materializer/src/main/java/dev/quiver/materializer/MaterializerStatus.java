package dev.quiver.materializer;

import java.util.Set;

/**
 * What a {@link Materializer} does now ({@link Materializer#status()}).
 *
 * @param state running, retrying a failed write, failed, ...
 * @param detail why it retries or failed; null otherwise
 * @param lag records behind the end of the partitions it owns, summed; -1 before it knows
 * @param deadLetters records sent to the dead-letter topic since start
 * @param assignment the partitions it owns, as {@code <topic>-<partition>}
 */
public record MaterializerStatus(State state, String detail, long lag, long deadLetters, Set<String> assignment) {
  /** The materializer's state. */
  public enum State {
    /** Not started yet. */
    STARTING,
    /** Consuming. */
    RUNNING,
    /** A write to a store or the dead-letter topic failed and is retried with backoff; nothing is lost. */
    RETRYING,
    /** Stopped on its own; {@link #detail()} says why. */
    FAILED,
    /** Shut down. */
    STOPPED
  }
}
