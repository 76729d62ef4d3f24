package dev.quiver.registry;

import java.util.List;
import java.util.Map;

/**
 * The write side of the offline store, as the materializer sees it. Implemented in
 * {@code offline-store}; the registry only states the contract.
 *
 * <p>Positions are named by their source, (topic, partition): offsets of two topics never mix, so
 * a view whose source topic changes starts the new topic from nothing.
 */
public interface OfflineSink extends AutoCloseable {
  /**
   * Durably appends events of one view read from one source topic (one flush; any partitions, any
   * schema versions) together with the view's positions on that topic: the files go into place
   * and one commit record names them and the positions, so after a crash either all of the flush
   * is visible or none of it. Events already in a committed range are skipped. With no events
   * and some positions, only the positions are committed.
   *
   * @param positions per partition of {@code topic}: every record of that partition below this
   *                  offset is, for this view, in this append, in an earlier one, or needs no
   *                  offline row (another view's record, dead-lettered, routed online only). A
   *                  position never moves back: a lower one than already committed is ignored.
   */
  void append(String view, String topic, List<FeatureEvent> events, Map<Integer, Long> positions);

  /** The committed offset ranges of a view for a source (topic, partition), in offset order. */
  List<OffsetRange> committedRanges(String view, String topic, int partition);

  /**
   * The committed position of a view on a source (topic, partition), as passed to {@link
   * #append}: the offset to resume that view's offline side from. 0 when the store holds none (a
   * new or moved store, a view or topic never seen): the materializer then catches it up from Kafka.
   */
  long position(String view, String topic, int partition);

  @Override
  void close();
}
