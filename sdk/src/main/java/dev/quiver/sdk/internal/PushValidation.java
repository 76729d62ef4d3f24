package dev.quiver.sdk.internal;

import dev.quiver.materializer.EventEncoder;
import dev.quiver.online.PushTarget;
import dev.quiver.registry.Durations;
import dev.quiver.registry.Feature;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import dev.quiver.registry.UserInputException;
import dev.quiver.registry.ValueType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The one check of pushed rows, shared by {@code POST /push}, {@code FeatureStore.push} and
 * {@code quiver push}: everything the materializer would reject is refused here, before anything
 * is produced, so an acknowledged push is never dead-lettered for its content. A bad row refuses
 * the whole push, naming the row and the column.
 *
 * <ul>
 *   <li>the view exists, reads a Kafka source, and keeps the side the push names: {@code online}
 *       to a view with {@code online: false} (or {@code offline} to one with {@code offline: false})
 *       is refused; {@code online_and_offline} writes the sides the view has and is refused only
 *       when it has neither;
 *   <li>columns: the join keys (present, of their type), {@value FeatureViewVersion#EVENT_TIMESTAMP}
 *       (present), features by name and type, no other column;
 *   <li>times: ISO-8601 text ({@code 2024-05-01T10:00:00Z}, with an offset, without one as UTC, or
 *       a date) or an {@link Instant}; a bare number is refused, since nothing says whether it
 *       counts seconds, milliseconds or microseconds; the event time lies in
 *       {@code [1970-01-01T00:00:00Z, now + max future skew]}.
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class PushValidation {
  private static final Pattern ENCODER_PREFIX =
      Pattern.compile("^Cannot encode event of feature view \\S+?: (Cannot encode entity key: )?");
  static final String TIME_FORMS = "give ISO-8601 text such as \"2024-05-01T10:00:00Z\" (an offset, or none for UTC, "
      + "or a date); a bare number is not accepted, since it does not say whether it counts seconds, "
      + "milliseconds or microseconds";

  private final Clock clock;
  private final Duration maxFutureSkew;

  /**
   * @param clock gives "now" for the future-skew check
   * @param maxFutureSkew how far past now an event time may lie (not negative)
   */
  public PushValidation(Clock clock, Duration maxFutureSkew) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.maxFutureSkew = Objects.requireNonNull(maxFutureSkew, "maxFutureSkew");
    if (maxFutureSkew.isNegative()) {
      throw new IllegalArgumentException("Cannot check pushes: max future skew " + maxFutureSkew + " is negative");
    }
  }

  public Duration maxFutureSkew() {
    return maxFutureSkew;
  }

  /**
   * Checks rows for a view's current version and encodes them in Quiver's wire format.
   *
   * @param firstRow the number of the first row, for messages
   * @throws UserInputException "Cannot push row N to feature view V: column C: ..." for a bad row,
   *     "Cannot push to feature view V: ..." when the view cannot take this push
   * @throws dev.quiver.registry.NoSuchFeatureViewException when the view is unknown
   */
  public List<PushProducer.Encoded> encode(RegistrySnapshot registry, String view,
                                           List<? extends Map<String, ?>> rows, long firstRow, PushTarget to) {
    FeatureView def = registry.view(view);
    Source source = registry.source(def.name());
    if (source.kind() != Source.Kind.KAFKA) {
      throw new UserInputException("Cannot push to feature view " + view + ": its source "
          + def.source() + " is Parquet files, not a stream (load it with quiver materialize --start --end)");
    }
    checkTarget(def, to);
    FeatureViewVersion version = registry.currentVersion(view);
    String topic = source.topicFor(view);
    EventEncoder enc = EventEncoder.of(version);
    Instant latest = clock.instant().plus(maxFutureSkew);
    List<PushProducer.Encoded> out = new ArrayList<>(rows.size());
    for (int i = 0; i < rows.size(); i++) {
      Map<String, ?> row = rows.get(i);
      long n = firstRow + i;
      try {
        checkTimeForms(version, row);
        // the value first: it names unknown and missing columns before the key's own checks
        byte[] value = enc.value(row);
        byte[] key = enc.key(row);
        checkEventTime(version, row, latest);
        out.add(new PushProducer.Encoded(topic, key, value));
      } catch (UserInputException e) {
        String reason = ENCODER_PREFIX.matcher(e.getMessage()).replaceFirst("");
        throw new UserInputException("Cannot push row " + n + " to feature view " + view + ": " + reason, e);
      }
    }
    return out;
  }

  private static void checkTarget(FeatureView def, PushTarget to) {
    boolean online = def.online();
    boolean offline = def.offline();
    String why = switch (to) {
      case ONLINE -> online ? null : "to online, but the view is not stored online (online: false); push to offline";
      case OFFLINE -> offline ? null : "to offline, but the view is not stored offline (offline: false); push to online";
      case ONLINE_AND_OFFLINE -> online || offline ? null
          : "the view is stored neither online nor offline (online: false, offline: false)";
    };
    if (why != null) {
      throw new UserInputException("Cannot push to feature view " + def.name() + ": " + why);
    }
  }

  /** Refuses a bare number wherever a time is expected: its unit is unknown. */
  private static void checkTimeForms(FeatureViewVersion version, Map<String, ?> row) {
    checkTimeForm(FeatureViewVersion.EVENT_TIMESTAMP, row.get(FeatureViewVersion.EVENT_TIMESTAMP));
    for (Feature f : version.features()) {
      Object v = row.get(f.name());
      if (f.type() == ValueType.TIMESTAMP) {
        checkTimeForm(f.name(), v);
      } else if (f.type() == ValueType.TIMESTAMP_LIST && v instanceof List<?> list) {
        for (int j = 0; j < list.size(); j++) {
          checkTimeForm(f.name() + "[" + j + "]", list.get(j));
        }
      }
    }
  }

  private static void checkTimeForm(String column, Object v) {
    if (v instanceof Number) {
      throw new UserInputException("column " + column + ": bare number " + v + " is not a time: " + TIME_FORMS);
    }
  }

  private void checkEventTime(FeatureViewVersion version, Map<String, ?> row, Instant latest) {
    // the encoder accepted it, so it coerces
    Instant t = (Instant) ValueType.TIMESTAMP.coerce(row.get(FeatureViewVersion.EVENT_TIMESTAMP));
    String column = "column " + FeatureViewVersion.EVENT_TIMESTAMP + ": ";
    if (t.isBefore(Instant.EPOCH)) {
      throw new UserInputException(column + t + " is before 1970-01-01T00:00:00Z (event times start at the epoch)");
    }
    if (t.isAfter(latest)) {
      String skew = Durations.format(maxFutureSkew);
      throw new UserInputException(column + t + " is more than " + skew + " ahead of now ("
          + latest.minus(maxFutureSkew).truncatedTo(java.time.temporal.ChronoUnit.MILLIS)
          + "; materializer.max_future_skew is " + skew + ")");
    }
  }
}
