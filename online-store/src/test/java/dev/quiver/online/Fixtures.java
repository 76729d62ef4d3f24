package dev.quiver.online;

import dev.quiver.registry.Definitions;
import dev.quiver.registry.Entity;
import dev.quiver.registry.Examples;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.FeatureService;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import dev.quiver.registry.Timestamps;
import dev.quiver.registry.ValueType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/** Shared test data: the driver example plus a customer view with a STRING key and no ttl. */
public final class Fixtures {
  public static final String DRIVER_VIEW = "driver_hourly_stats";
  public static final String CUSTOMER_VIEW = "customer_profile";
  public static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");

  private Fixtures() {}

  public static Definitions definitions() {
    Definitions d = Examples.driver();
    Definitions.Builder b = Definitions.builder();
    d.entities().values().forEach(b::withEntity);
    d.sources().values().forEach(b::withSource);
    d.views().values().forEach(b::withView);
    d.services().values().forEach(b::withService);
    return b.withEntity(Entity.builder("customer").withJoinKey("customer_id", ValueType.STRING).build())
        .withSource(Source.kafka("customer_stream", null))
        .withView(FeatureView.builder(CUSTOMER_VIEW).withEntity("customer").withSource("customer_stream")
            .withFeature("age", ValueType.INT32)
            .withFeature("segment", ValueType.STRING)
            .withFeature("scores", ValueType.FLOAT64_LIST)
            .withFeature("signup", ValueType.TIMESTAMP)
            .withFeature("avatar", ValueType.BYTES)
            .build())
        .withService(FeatureService.of("everything", DRIVER_VIEW, CUSTOMER_VIEW + ":segment"))
        .build();
  }

  public static RegistrySnapshot registry() {
    return RegistrySnapshot.of(definitions());
  }

  /** A driver event: conv_rate, acc_rate, avg_daily_trips. */
  public static FeatureEvent driver(long driverId, Instant eventTime, long createdMicros, long offset,
                                    Float conv, Float acc, Long trips) {
    return new FeatureEvent(DRIVER_VIEW, 1, List.of(driverId), Timestamps.toMicros(eventTime), createdMicros,
        0, offset, Arrays.asList(conv, acc, trips));
  }

  public static FeatureEvent driver(long driverId, Instant eventTime, long offset, float conv) {
    return driver(driverId, eventTime, FeatureEvent.NO_CREATED_TIME, offset, conv, conv, offset);
  }

  public static Duration driverTtl() {
    return Duration.ofHours(2);
  }

  /** Reads a golden hex file: hex digits, whitespace and {@code #} comment lines. */
  public static byte[] golden(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/golden/" + name)) {
      if (in == null) {
        throw new IllegalStateException("no golden file " + name);
      }
      StringBuilder hex = new StringBuilder();
      for (String line : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
        if (!line.startsWith("#")) {
          hex.append(line.replaceAll("\\s", ""));
        }
      }
      return HexFormat.of().parseHex(hex);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
