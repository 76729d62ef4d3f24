package dev.quiver.online;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.registry.EventOrder;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.RegistrySnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Whatever order events of one entity arrive in, in whatever batches, the store ends with the
 * superseding one: greatest event time, then created time (missing = smallest), then offset.
 */
class OrderingPropertyTest {
  private static Path dir;
  private static OnlineStore store;
  private static final AtomicLong ENTITY = new AtomicLong();
  private static final RegistrySnapshot REGISTRY = Fixtures.registry();

  @BeforeContainer
  static void open() throws IOException {
    dir = Files.createTempDirectory("ordering");
    store = OnlineStore.open(dir, REGISTRY);
  }

  @AfterContainer
  static void close() throws IOException {
    store.close();
    try (var paths = Files.walk(dir)) {
      paths.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  record Stamp(long event, long created) {}

  @Provide
  Arbitrary<List<Stamp>> stamps() {
    // few distinct times so that ties on event and created time are frequent
    Arbitrary<Long> event = Arbitraries.longs().between(0, 3);
    Arbitrary<Long> created = Arbitraries.longs().between(-1, 2)
        .map(c -> c < 0 ? FeatureEvent.NO_CREATED_TIME : c);
    return Combinators.combine(event, created).as(Stamp::new).list().ofMinSize(1).ofMaxSize(12);
  }

  @Property(tries = 200)
  void shouldEndWithTheSupersedingEventForAnyArrivalOrderAndBatching(
      @ForAll("stamps") List<Stamp> stamps, @ForAll long seed) {
    long entity = ENTITY.incrementAndGet();
    List<FeatureEvent> events = new ArrayList<>();
    for (int i = 0; i < stamps.size(); i++) {
      // offsets are distinct, so the order is total; the value names the offset
      events.add(new FeatureEvent(Fixtures.DRIVER_VIEW, 1, List.of(entity), stamps.get(i).event(),
          stamps.get(i).created(), 0, i, Arrays.asList(null, null, (long) i)));
    }
    FeatureEvent expected = events.stream().max(EventOrder.COMPARATOR).orElseThrow();
    Random random = new Random(seed);
    List<FeatureEvent> arrival = new ArrayList<>(events);
    Collections.shuffle(arrival, random);

    int i = 0;
    while (i < arrival.size()) {
      int size = 1 + random.nextInt(arrival.size() - i);
      store.write(arrival.subList(i, i + size), Map.of());
      i += size;
    }

    OnlineFeatures r = store.get(REGISTRY.resolveRefs(List.of(Fixtures.DRIVER_VIEW + ":avg_daily_trips")),
        EntityRows.of("driver_id", List.of(entity)), dev.quiver.registry.Timestamps.fromMicros(3));
    assertThat(r.value(0, 0).value()).isEqualTo(expected.offset());
  }
}
