package dev.quiver.registry;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and prints TTLs: {@code 30s}, {@code 15m}, {@code 2h}, {@code 7d}, ISO-8601 {@code PT2H}, {@code 0}. */
public final class Durations {
  private static final Pattern SHORT = Pattern.compile("(-?[0-9]+)\\s*(us|ms|s|m|h|d|w)?");

  private Durations() {}

  /** @throws IllegalArgumentException naming the text when it is not a duration */
  public static Duration parse(String text) {
    String s = text.trim();
    Matcher m = SHORT.matcher(s);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      String unit = m.group(2) == null ? "s" : m.group(2);
      switch (unit) {
        case "us": return Duration.ofNanos(Math.multiplyExact(n, 1000L));
        case "ms": return Duration.ofMillis(n);
        case "s": return Duration.ofSeconds(n);
        case "m": return Duration.ofMinutes(n);
        case "h": return Duration.ofHours(n);
        case "d": return Duration.ofDays(n);
        case "w": return Duration.ofDays(Math.multiplyExact(n, 7L));
        default: break;
      }
    }
    try {
      return Duration.parse(s.toUpperCase(java.util.Locale.ROOT));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("not a duration: \"" + text
          + "\" (expected e.g. 30s, 15m, 2h, 7d, PT2H or 0)");
    }
  }

  /** A short form that {@link #parse} reads back: {@code 2h}, {@code 90m}, {@code 0}. */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0";
    }
    long s = d.getSeconds();
    if (d.getNano() != 0) {
      return d.toString();
    }
    if (s % 86_400 == 0) {
      return (s / 86_400) + "d";
    }
    if (s % 3_600 == 0) {
      return (s / 3_600) + "h";
    }
    if (s % 60 == 0) {
      return (s / 60) + "m";
    }
    return s + "s";
  }
}
