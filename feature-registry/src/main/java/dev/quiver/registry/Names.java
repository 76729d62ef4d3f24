package dev.quiver.registry;

import java.util.Set;
import java.util.regex.Pattern;

/** The naming rules shared by every definition. */
public final class Names {
  /** What every entity, source, view, feature, join key and service name must match. */
  public static final Pattern VALID = Pattern.compile("[a-z][a-z0-9_]*");

  /** Column names the stores use themselves; no feature or join key may take them. */
  public static final Set<String> RESERVED =
      Set.of("event_timestamp", "created_timestamp", "_partition", "_offset");

  private Names() {}

  public static boolean isValid(String name) {
    return name != null && VALID.matcher(name).matches();
  }
}
