package dev.quiver.registry;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/** Microsecond timestamps, the one time unit of Quiver's stored formats. */
public final class Timestamps {
  /** The earliest instant epoch microseconds hold (a long of microseconds, year -290308). */
  public static final Instant MIN = fromMicros(Long.MIN_VALUE);
  /** The latest instant epoch microseconds hold (year 294247). */
  public static final Instant MAX = fromMicros(Long.MAX_VALUE);

  private Timestamps() {}

  /** Epoch microseconds of an instant (sub-microsecond digits are dropped, toward negative infinity). */
  public static long toMicros(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
  }

  public static Instant fromMicros(long micros) {
    return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
  }

  public static Instant truncateToMicros(Instant t) {
    return t.truncatedTo(ChronoUnit.MICROS);
  }

  /**
   * Parses an ISO-8601 time: with an offset ({@code 2024-05-01T10:00:00Z},
   * {@code +02:00}), without one (taken as UTC), or a bare date (midnight UTC).
   *
   * @throws IllegalArgumentException when the text is not such a time
   */
  public static Instant parse(String text) {
    String s = text.trim();
    try {
      return truncateToMicros(OffsetDateTime.parse(s).toInstant());
    } catch (DateTimeParseException e) {
      // fall through
    }
    try {
      return truncateToMicros(LocalDateTime.parse(s.replace(' ', 'T')).toInstant(ZoneOffset.UTC));
    } catch (DateTimeParseException e) {
      // fall through
    }
    try {
      return truncateToMicros(Instant.parse(s));
    } catch (DateTimeParseException e) {
      // fall through
    }
    try {
      return LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("Cannot parse timestamp: " + text, e);
    }
  }
}
