package dev.quiver.registry;

/** A reference to a feature service that the registry does not hold. */
public class NoSuchFeatureServiceException extends UserInputException {
  public NoSuchFeatureServiceException(String message) {
    super(message);
  }
}
