package dev.quiver.online;

/**
 * Receives the rows of {@code POST /push}. The online store knows no Kafka: the SDK implements
 * this with its producer. Called off the event loop, so it may block; it returns once the rows
 * are accepted (e.g. acknowledged by the broker).
 */
@FunctionalInterface
public interface PushHandler {
  /**
   * Accepts validated rows.
   *
   * @throws dev.quiver.registry.UserInputException when the rows do not fit the target (unknown
   *     source, wrong column types); the server answers 400 or 404 with its message
   */
  void push(PushRequest request);
}
