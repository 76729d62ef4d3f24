package dev.quiver.registry;

/** A reference to a feature that the registry does not hold. */
public class NoSuchFeatureException extends UserInputException {
  public NoSuchFeatureException(String message) {
    super(message);
  }
}
