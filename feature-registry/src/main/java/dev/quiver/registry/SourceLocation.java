package dev.quiver.registry;

/**
 * Where a definition was read from: a file (relative to the repo) and a 1-based line. Both null
 * for a definition built in Java ({@link #NONE}). Not part of a definition's identity.
 */
public record SourceLocation(String file, Integer line) {
  public static final SourceLocation NONE = new SourceLocation(null, null);

  @Override
  public String toString() {
    if (file == null) {
      return "<java>";
    }
    return file + (line == null ? "" : ":" + line);
  }
}
