package dev.quiver.online;

import static dev.quiver.online.Fixtures.CUSTOMER_VIEW;
import static dev.quiver.online.Fixtures.DRIVER_VIEW;
import static dev.quiver.online.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.NoSuchFeatureViewException;
import dev.quiver.registry.Timestamps;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link OnlineStore#sampleEntities}: distinct stored entities found by seeks, reproducible per seed. */
class SampleEntitiesTest {
  @TempDir
  Path dir;
  OnlineStore store;

  @BeforeEach
  void open() {
    store = OnlineStore.open(dir, Fixtures.registry());
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void shouldSampleDistinctStoredEntitiesSpreadOverTheKeyRangeAndTheSameForASeed() {
    List<FeatureEvent> events = new ArrayList<>();
    for (long d = 0; d < 2000; d++) {
      events.add(Fixtures.driver(d * 7, T0, d, 0.5f));
    }
    store.write(events, Map.of());
    List<List<Object>> sample = store.sampleEntities(DRIVER_VIEW, 50, 42);
    assertThat(sample).hasSize(50).doesNotHaveDuplicates()
        .allSatisfy(k -> assertThat((Long) k.get(0) % 7).isZero())
        .isEqualTo(store.sampleEntities(DRIVER_VIEW, 50, 42));
    // not a run of neighbours: spread over the range
    long below = sample.stream().filter(k -> (Long) k.get(0) < 7000).count();
    assertThat(below).isBetween(5L, 45L);
    assertThat(store.sampleEntities(DRIVER_VIEW, 50, 43)).isNotEqualTo(sample);
  }

  @Test
  void shouldReturnEveryEntityWhenTheViewHoldsFewerAndNoneWhenItHoldsNone() {
    assertThat(store.sampleEntities(CUSTOMER_VIEW, 10, 1)).isEmpty();
    for (String c : List.of("a", "bb", "zzz")) {
      store.write(List.of(new FeatureEvent(CUSTOMER_VIEW, 1, List.of(c), Timestamps.toMicros(T0),
          FeatureEvent.NO_CREATED_TIME, 0, 1, Arrays.asList(1, "s", null, null, null))), Map.of());
    }
    List<List<Object>> all = store.sampleEntities(CUSTOMER_VIEW, 10, 1);
    assertThat(new HashSet<>(all)).containsExactlyInAnyOrder(List.of("a"), List.of("bb"), List.of("zzz"));
    assertThat(all).hasSize(3);
    assertThat(store.sampleEntities(CUSTOMER_VIEW, 2, 1)).hasSize(2).doesNotHaveDuplicates();
    assertThatThrownBy(() -> store.sampleEntities("nope", 1, 1)).isInstanceOf(NoSuchFeatureViewException.class);
  }
}
