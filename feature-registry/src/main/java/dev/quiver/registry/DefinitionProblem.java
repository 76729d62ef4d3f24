package dev.quiver.registry;

/**
 * One problem in a definition: where it is (file and 1-based line; either may be null for a
 * definition built in Java) and what is wrong, naming the value.
 */
public record DefinitionProblem(String file, Integer line, String message) {
  @Override
  public String toString() {
    if (file == null) {
      return message;
    }
    return file + (line == null ? "" : ":" + line) + ": " + message;
  }
}
