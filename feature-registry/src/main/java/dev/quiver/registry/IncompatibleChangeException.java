package dev.quiver.registry;

/** An apply refused because it would break feature services that depend on a view. */
public class IncompatibleChangeException extends UserInputException {
  public IncompatibleChangeException(String message) {
    super(message);
  }
}
