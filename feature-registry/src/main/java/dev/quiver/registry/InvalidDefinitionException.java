package dev.quiver.registry;

import java.util.List;

/**
 * One or more definitions are invalid. Each problem names the file, the line and the value.
 * {@link #getMessage()} lists them all, one per line.
 */
public class InvalidDefinitionException extends UserInputException {
  private final List<DefinitionProblem> problems;

  public InvalidDefinitionException(List<DefinitionProblem> problems) {
    super(render(problems));
    this.problems = List.copyOf(problems);
  }

  public InvalidDefinitionException(DefinitionProblem problem) {
    this(List.of(problem));
  }

  public List<DefinitionProblem> problems() {
    return problems;
  }

  private static String render(List<DefinitionProblem> problems) {
    StringBuilder sb = new StringBuilder();
    for (DefinitionProblem p : problems) {
      if (sb.length() > 0) {
        sb.append('\n');
      }
      sb.append(p);
    }
    return sb.toString();
  }
}
