package dev.quiver.registry;

import java.util.Objects;
import java.util.Optional;

/**
 * Where a view's events come from: a Kafka topic (stream) or Parquet files (batch), with the name
 * of the event-timestamp field and, optionally, a created-timestamp field.
 *
 * @param topic for {@link Kind#KAFKA}: the topic, or null for the default {@code quiver.<view>}
 * @param path for {@link Kind#PARQUET}: a path glob relative to the repo (or absolute)
 * @param createdTimestampField null when the source has none
 */
public record Source(String name, Kind kind, String topic, String path, String timestampField,
                     String createdTimestampField, String description, SourceLocation location) {
  public enum Kind { KAFKA, PARQUET }

  public static final String DEFAULT_TIMESTAMP_FIELD = "event_timestamp";

  public Source {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    timestampField = timestampField == null ? DEFAULT_TIMESTAMP_FIELD : timestampField;
    description = description == null ? "" : description;
    location = location == null ? SourceLocation.NONE : location;
  }

  public static Source kafka(String name, String topicOrNull) {
    return new Source(name, Kind.KAFKA, topicOrNull, null, DEFAULT_TIMESTAMP_FIELD, null, "", null);
  }

  public static Source parquet(String name, String path, String timestampField, String createdTimestampFieldOrNull) {
    return new Source(name, Kind.PARQUET, null, path, timestampField, createdTimestampFieldOrNull, "", null);
  }

  public Optional<String> createdTimestamp() {
    return Optional.ofNullable(createdTimestampField);
  }

  /** The Kafka topic events of {@code view} flow through when it uses this source. */
  public String topicFor(String view) {
    return topic != null ? topic : "quiver." + view;
  }

  public Source withLocation(SourceLocation where) {
    return new Source(name, kind, topic, path, timestampField, createdTimestampField, description, where);
  }

  public boolean sameDefinition(Source o) {
    return name.equals(o.name) && kind == o.kind && Objects.equals(topic, o.topic)
        && Objects.equals(path, o.path) && timestampField.equals(o.timestampField)
        && Objects.equals(createdTimestampField, o.createdTimestampField)
        && description.equals(o.description);
  }
}
