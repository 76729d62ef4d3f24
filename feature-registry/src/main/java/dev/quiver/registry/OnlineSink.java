package dev.quiver.registry;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The write side of the online store, as the materializer sees it. Implemented in
 * {@code online-store}; the registry only states the contract.
 */
public interface OnlineSink extends AutoCloseable {
  /**
   * Writes a batch of events (any views) and caller metadata in one atomic, durable step. Per
   * entity, a value is never replaced by one it supersedes ({@link EventOrder}).
   */
  void write(List<FeatureEvent> batch, Map<String, byte[]> meta);

  /** Metadata written by {@link #write}, e.g. the materializer's consumed offsets. */
  Optional<byte[]> readMeta(String key);

  @Override
  void close();
}
