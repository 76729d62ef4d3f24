package dev.quiver.cli;

import dev.quiver.registry.JoinKey;
import dev.quiver.registry.Source;
import java.util.List;
import java.util.stream.Collectors;

/** Shared printing helpers of the registry commands. */
final class Describe {
  private Describe() {}

  static String keys(List<JoinKey> keys) {
    return keys.stream().map(k -> k.name() + " " + k.type()).collect(Collectors.joining(", "));
  }

  static String source(Source s) {
    String where = s.kind() == Source.Kind.KAFKA
        ? "kafka topic " + (s.topic() == null ? "quiver.<view> (default)" : s.topic())
        : "parquet " + s.path();
    return where + ", timestamp " + s.timestampField()
        + s.createdTimestamp().map(c -> ", created " + c).orElse("");
  }
}
