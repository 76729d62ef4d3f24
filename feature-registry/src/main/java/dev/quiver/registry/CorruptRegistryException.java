package dev.quiver.registry;

/** A stored registry that cannot be read back: truncated, bad checksum, unknown format. */
public class CorruptRegistryException extends QuiverException {
  public CorruptRegistryException(String message) {
    super(message);
  }

  public CorruptRegistryException(String message, Throwable cause) {
    super(message, cause);
  }
}
