package dev.quiver.registry;

import java.util.List;

/**
 * The write side of the offline store, as the materializer sees it. Implemented in
 * {@code offline-store}; the registry only states the contract.
 */
public interface OfflineSink extends AutoCloseable {
  /**
   * Durably appends events of one view (one flush; any partitions, any schema versions): the
   * files go into place and one commit record names them, so after a crash either all of the
   * flush is visible or none of it.
   */
  void append(String view, List<FeatureEvent> events);

  /** The committed offset ranges of a view for a source partition, in offset order. */
  List<OffsetRange> committedRanges(String view, int partition);

  @Override
  void close();
}
