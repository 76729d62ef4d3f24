package dev.quiver.online;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Timestamps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
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
 * Whatever order events of one entity arrive in, in whatever batches, written at whatever
 * (non-decreasing) store clock, a read at any {@code now} from the last write's time on returns
 * what a plain point-in-time pick returns: among the events written so far with
 * {@code event_ts <= now}, the greatest by event time, then created time (missing = smallest),
 * then partition and offset; none when all lie ahead of now. Events ahead of the writes' clock
 * are frequent on purpose.
 */
class OrderingPropertyTest {
  private static final Instant T0 = Fixtures.T0;
  private static final RegistrySnapshot REGISTRY = Fixtures.registry();
  private static final AtomicLong ENTITY = new AtomicLong();
  private static final SettableClock CLOCK = new SettableClock();
  private static Path dir;
  private static OnlineStore store;

  /** The store's write clock, set by the test before each write. */
  static final class SettableClock extends Clock {
    volatile Instant now = T0;

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @BeforeContainer
  static void open() throws IOException {
    dir = Files.createTempDirectory("ordering");
    store = OnlineStore.builder(dir, REGISTRY).withClock(CLOCK).open();
  }

  @AfterContainer
  static void close() throws IOException {
    store.close();
    try (var paths = Files.walk(dir)) {
      paths.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  record Stamp(long eventSeconds, long created) {}

  @Provide
  Arbitrary<List<Stamp>> stamps() {
    // few distinct times so that ties on event and created time are frequent
    Arbitrary<Long> event = Arbitraries.longs().between(0, 5);
    Arbitrary<Long> created = Arbitraries.longs().between(-1, 2)
        .map(c -> c < 0 ? FeatureEvent.NO_CREATED_TIME : c);
    return Combinators.combine(event, created).as(Stamp::new).list().ofMinSize(1).ofMaxSize(12);
  }

  /** The oracle: a plain comparison, independent of the product's EventOrder. */
  private static boolean supersedes(FeatureEvent a, FeatureEvent b) {
    if (a.eventMicros() != b.eventMicros()) {
      return a.eventMicros() > b.eventMicros();
    }
    if (a.createdMicros() != b.createdMicros()) {
      return a.createdMicros() > b.createdMicros(); // NO_CREATED_TIME is Long.MIN_VALUE: the smallest
    }
    if (a.partition() != b.partition()) {
      return a.partition() > b.partition();
    }
    return a.offset() > b.offset();
  }

  private static FeatureEvent pointInTime(List<FeatureEvent> written, long nowMicros) {
    FeatureEvent best = null;
    for (FeatureEvent e : written) {
      if (e.eventMicros() <= nowMicros && (best == null || supersedes(e, best))) {
        best = e;
      }
    }
    return best;
  }

  @Property(tries = 300)
  void shouldReadWhatThePointInTimePickGivesAtEveryNowAfterEachWrite(
      @ForAll("stamps") List<Stamp> stamps, @ForAll long seed) {
    long entity = ENTITY.incrementAndGet();
    Random random = new Random(seed);
    List<FeatureEvent> events = new ArrayList<>();
    for (int i = 0; i < stamps.size(); i++) {
      // offsets are distinct, so the order is total; the value names the offset
      events.add(new FeatureEvent(Fixtures.DRIVER_VIEW, 1, List.of(entity),
          Timestamps.toMicros(T0.plusSeconds(stamps.get(i).eventSeconds())), stamps.get(i).created(),
          0, i, Arrays.asList(null, null, (long) i)));
    }
    List<FeatureEvent> arrival = new ArrayList<>(events);
    Collections.shuffle(arrival, random);

    List<FeatureEvent> written = new ArrayList<>();
    long clockSeconds = random.nextInt(3);
    int i = 0;
    while (i < arrival.size()) {
      int size = 1 + random.nextInt(arrival.size() - i);
      clockSeconds += random.nextInt(3); // the write clock never goes back
      CLOCK.now = T0.plusSeconds(clockSeconds);
      List<FeatureEvent> batch = arrival.subList(i, i + size);
      store.write(batch, Map.of());
      written.addAll(batch);
      i += size;

      // reads at the write's time and after it, before, between and beyond the event times
      List<Long> seconds = new ArrayList<>();
      for (long s = clockSeconds; s <= Math.max(clockSeconds, 6); s++) {
        seconds.add(s);
      }
      seconds.add(clockSeconds + 100);
      for (long s : seconds) {
        for (long extraMicros : new long[] {-1, 0}) {
          Instant now = T0.plusSeconds(s).plusNanos(extraMicros * 1000);
          if (!now.isBefore(CLOCK.now)) {
            assertRead(entity, written, now);
          }
        }
      }
    }
  }

  private static void assertRead(long entity, List<FeatureEvent> written, Instant now) {
    FeatureEvent expected = pointInTime(written, Timestamps.toMicros(now));
    FeatureValue got = store.get(REGISTRY.resolveRefs(List.of(Fixtures.DRIVER_VIEW + ":avg_daily_trips")),
        EntityRows.of("driver_id", List.of(entity)), now).value(0, 0);
    if (expected == null) {
      assertThat(got).as("read at %s of %s", now, written).isEqualTo(FeatureValue.NOT_FOUND);
    } else {
      assertThat(got).as("read at %s of %s", now, written).isEqualTo(new FeatureValue(expected.offset(),
          FeatureStatus.PRESENT, Timestamps.fromMicros(expected.eventMicros())));
    }
  }
}
