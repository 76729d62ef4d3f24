package dev.quiver.registry;

/** A commit lost a compare-and-swap: the registry changed since the caller read it. */
public class RegistryConflictException extends UserInputException {
  public RegistryConflictException(String message) {
    super(message);
  }
}
