package dev.quiver.registry;

/** A reference to a entity that the registry does not hold. */
public class NoSuchEntityException extends UserInputException {
  public NoSuchEntityException(String message) {
    super(message);
  }
}
