package dev.quiver.materializer.internal;

import dev.quiver.materializer.DeadLetters;

/** A record that cannot be stored, with the reason it goes to the dead-letter topic. */
public final class BadRecordException extends Exception {
  private final DeadLetters.Reason reason;

  public BadRecordException(DeadLetters.Reason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  public DeadLetters.Reason reason() {
    return reason;
  }
}
