package dev.quiver.registry;

/** A reference to a feature view that the registry does not hold. */
public class NoSuchFeatureViewException extends UserInputException {
  public NoSuchFeatureViewException(String message) {
    super(message);
  }
}
