package dev.quiver.registry;

import java.time.Duration;

/** The driver example of the README and {@code quiver init}, built in Java (tests, docs, benchmarks). */
public final class Examples {
  private Examples() {}

  /** A {@code driver} entity, a {@code driver_hourly_stats} view (ttl 2h) and a {@code driver_ranking} service. */
  public static Definitions driver() {
    return Definitions.builder()
        .withEntity(Entity.builder("driver").withJoinKey("driver_id", ValueType.INT64)
            .withDescription("A driver of the ride-hailing service").build())
        .withSource(Source.kafka("driver_stats_stream", null))
        .withView(FeatureView.builder("driver_hourly_stats")
            .withEntity("driver")
            .withSource("driver_stats_stream")
            .withTtl(Duration.ofHours(2))
            .withFeature("conv_rate", ValueType.FLOAT32)
            .withFeature("acc_rate", ValueType.FLOAT32)
            .withFeature("avg_daily_trips", ValueType.INT64)
            .withOwner("ml-platform@example.com")
            .withTag("team", "drivers")
            .withDescription("Hourly driver statistics")
            .build())
        .withService(FeatureService.of("driver_ranking",
            "driver_hourly_stats:conv_rate", "driver_hourly_stats:acc_rate"))
        .build();
  }
}
