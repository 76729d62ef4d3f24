package dev.quiver.offline;

import dev.quiver.registry.UserInputException;

/** A replayed export whose output differs from its manifest; the message names the changed inputs. */
public class ReplayMismatchException extends UserInputException {
  private final transient ReplayReport report;

  public ReplayMismatchException(String message, ReplayReport report) {
    super(message);
    this.report = report;
  }

  public ReplayReport report() {
    return report;
  }
}
