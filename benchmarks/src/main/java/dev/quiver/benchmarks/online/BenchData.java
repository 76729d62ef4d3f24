package dev.quiver.benchmarks.online;

import dev.quiver.online.OnlineStore;
import dev.quiver.registry.Definitions;
import dev.quiver.registry.Entity;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import dev.quiver.registry.Timestamps;
import dev.quiver.registry.ValueType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The benchmark data set: a {@code user_stats} view of 10 features (4 FLOAT32, 2 FLOAT64,
 * 3 INT64, 1 STRING; ttl 30 days) keyed by {@code user_id} INT64 0 .. n-1, written once into a
 * directory and reused (a {@code COMPLETE-<n>} marker file says it is whole).
 */
public final class BenchData {
  public static final String VIEW = "user_stats";
  public static final String JOIN_KEY = "user_id";
  public static final Instant EVENT_TIME = Instant.parse("2026-01-01T00:00:00Z");
  /** The lookup time: one day after the events, inside the ttl. */
  public static final Instant NOW = EVENT_TIME.plus(Duration.ofDays(1));
  public static final List<String> FEATURES = List.of("f_float_0", "f_float_1", "f_float_2", "f_float_3",
      "f_double_0", "f_double_1", "f_long_0", "f_long_1", "f_long_2", "f_string");

  private BenchData() {}

  public static RegistrySnapshot registry() {
    FeatureView.Builder v = FeatureView.builder(VIEW).withEntity("user").withSource("user_stream")
        .withTtl(Duration.ofDays(30));
    for (String f : FEATURES) {
      v.withFeature(f, f.startsWith("f_float") ? ValueType.FLOAT32 : f.startsWith("f_double") ? ValueType.FLOAT64
          : f.startsWith("f_long") ? ValueType.INT64 : ValueType.STRING);
    }
    return RegistrySnapshot.of(Definitions.builder()
        .withEntity(Entity.builder("user").withJoinKey(JOIN_KEY, ValueType.INT64).build())
        .withSource(Source.kafka("user_stream", null))
        .withView(v.build())
        .build());
  }

  /** {@code view:feature} references of the 10 features. */
  public static List<String> refs() {
    return FEATURES.stream().map(f -> VIEW + ":" + f).toList();
  }

  /** The directory of a data set of {@code entities} entities, written first if not yet whole. */
  public static Path ensure(Path dir, int entities) {
    Path marker = dir.resolve("COMPLETE-" + entities);
    if (Files.exists(marker)) {
      return dir;
    }
    long start = System.nanoTime();
    SplittableRandom random = new SplittableRandom(42);
    try (OnlineStore store = OnlineStore.open(dir, registry())) {
      List<FeatureEvent> batch = new ArrayList<>(10_000);
      long eventMicros = Timestamps.toMicros(EVENT_TIME);
      for (long id = 0; id < entities; id++) {
        batch.add(new FeatureEvent(VIEW, 1, List.of(id), eventMicros, eventMicros, 0, id, Arrays.asList(
            (float) random.nextDouble(), (float) random.nextDouble(),
            (float) random.nextDouble(), (float) random.nextDouble(),
            random.nextDouble() * 1000, random.nextDouble(),
            random.nextLong(1_000_000), random.nextLong(1_000), id,
            "segment-" + random.nextInt(20))));
        if (batch.size() == 10_000) {
          store.write(batch, Map.of());
          batch.clear();
        }
      }
      store.write(batch, Map.of());
    }
    try {
      Files.writeString(marker, "entities written in " + (System.nanoTime() - start) / 1_000_000 + " ms\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  /** The data directory: {@code -Dquiver.bench.online.dir}, default {@code /tmp/quiver-online-bench}. */
  public static Path defaultDir() {
    return Path.of(System.getProperty("quiver.bench.online.dir", "/tmp/quiver-online-bench"));
  }

  public static int defaultEntities() {
    return Integer.getInteger("quiver.bench.online.entities", 1_000_000);
  }
}
