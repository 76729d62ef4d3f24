package dev.quiver.online;

import dev.quiver.registry.QuiverException;

/** A call on an online store (or one of its iterators) after it was closed. */
public class StoreClosedException extends QuiverException {
  public StoreClosedException(String message) {
    super(message);
  }
}
