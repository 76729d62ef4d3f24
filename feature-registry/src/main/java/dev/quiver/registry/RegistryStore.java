package dev.quiver.registry;

/**
 * Durable storage of registry snapshots. Implementations: a local file (the embedded default)
 * and, in the materializer, a compacted Kafka topic.
 */
public interface RegistryStore extends AutoCloseable {
  /** The latest committed snapshot ({@link RegistrySnapshot#empty()} when none was ever committed). */
  RegistrySnapshot load();

  /**
   * Commits {@code next} if the latest committed snapshot still has version {@code next.version() - 1}.
   *
   * @throws RegistryConflictException "registry changed since it was read; re-run plan" otherwise
   */
  void commit(RegistrySnapshot next);

  @Override
  default void close() {}
}
