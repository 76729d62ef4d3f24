package dev.quiver.registry;

/**
 * A request or definition that is wrong: the user can fix it. HTTP maps it to a 4xx and the CLI
 * to exit code 2.
 */
public class UserInputException extends QuiverException {
  public UserInputException(String message) {
    super(message);
  }

  public UserInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
