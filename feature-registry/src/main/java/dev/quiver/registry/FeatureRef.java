package dev.quiver.registry;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A reference to a feature: {@code view:feature}, or {@code view@v3:feature} pinned to a version.
 * In a service definition a bare {@code view} stands for all its features ({@link #feature()} null).
 *
 * @param version the pinned version, or null for the current one
 * @param feature the feature name, or null for "all features of the view"
 */
public record FeatureRef(String view, Integer version, String feature) {
  private static final Pattern REF =
      Pattern.compile("([a-z][a-z0-9_]*)(?:@v([0-9]+))?(?::([a-z][a-z0-9_]*))?");

  public FeatureRef {
    Objects.requireNonNull(view, "view");
  }

  /**
   * Parses {@code view:feature}, {@code view@vN:feature}, or (when {@code allowBareView})
   * {@code view} / {@code view@vN}.
   *
   * @throws UserInputException naming the text when it is not a reference
   */
  public static FeatureRef parse(String text, boolean allowBareView) {
    if (text == null) {
      throw new UserInputException("Cannot parse feature reference: null");
    }
    Matcher m = REF.matcher(text.trim());
    if (!m.matches() || (!allowBareView && m.group(3) == null)) {
      throw new UserInputException("Cannot parse feature reference: \"" + text
          + "\" (expected view:feature" + (allowBareView ? ", view@vN:feature or view" : " or view@vN:feature") + ")");
    }
    Integer version = null;
    if (m.group(2) != null) {
      try {
        version = Integer.valueOf(m.group(2));
      } catch (NumberFormatException e) {
        throw new UserInputException("Cannot parse feature reference: \"" + text + "\" (version " + m.group(2)
            + " is beyond the largest version number " + Integer.MAX_VALUE + ")");
      }
    }
    if (version != null && version < 1) {
      throw new UserInputException("Cannot parse feature reference: \"" + text + "\" (versions start at v1)");
    }
    return new FeatureRef(m.group(1), version, m.group(3));
  }

  public static FeatureRef parse(String text) {
    return parse(text, false);
  }

  public boolean isWholeView() {
    return feature == null;
  }

  @Override
  public String toString() {
    return view + (version == null ? "" : "@v" + version) + (feature == null ? "" : ":" + feature);
  }
}
