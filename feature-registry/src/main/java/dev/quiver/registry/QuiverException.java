package dev.quiver.registry;

/**
 * The base of every exception Quiver throws for a condition a user can act on. Messages read
 * "Cannot &lt;verb&gt; &lt;thing&gt;: &lt;reason&gt;" and name the offending value.
 */
public class QuiverException extends RuntimeException {
  public QuiverException(String message) {
    super(message);
  }

  public QuiverException(String message, Throwable cause) {
    super(message, cause);
  }
}
