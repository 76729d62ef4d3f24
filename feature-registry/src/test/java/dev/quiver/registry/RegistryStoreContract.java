package dev.quiver.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link RegistryStore} keeps, run by each implementation's test (extend it and
 * implement {@link #newStore()}). Published in this module's test-jar for stores in other modules.
 */
public abstract class RegistryStoreContract {
  protected static final Instant T1 = Instant.parse("2026-01-01T00:00:00Z");
  protected static final Instant T2 = Instant.parse("2026-01-02T00:00:00Z");

  /**
   * A new, independent store instance on the same backing storage as every other instance created
   * during one test (as a second process would open it). Empty at the start of each test.
   */
  protected abstract RegistryStore newStore();

  @Test
  public void shouldLoadTheEmptyRegistryBeforeAnyCommit() {
    try (RegistryStore store = newStore()) {
      RegistrySnapshot s = store.load();

      assertThat(s.version()).isZero();
      assertThat(s.definitions().sameDefinitions(Definitions.EMPTY)).isTrue();
      assertThat(s.history()).isEmpty();
    }
  }

  @Test
  public void shouldLoadWhatWasCommittedFromAnotherInstance() {
    RegistrySnapshot committed = RegistrySnapshot.empty().withDefinitions(Examples.driver(), T1, "first");
    try (RegistryStore writer = newStore()) {
      writer.commit(committed);
    }

    try (RegistryStore reader = newStore()) {
      RegistrySnapshot s = reader.load();
      assertThat(s.version()).isEqualTo(1);
      assertThat(s.definitions().sameDefinitions(Examples.driver())).isTrue();
      assertThat(s.hash()).isEqualTo(committed.hash());
      assertThat(s.history()).containsExactlyElementsOf(committed.history());
      assertThat(s.versions("driver_hourly_stats")).containsExactlyElementsOf(committed.versions("driver_hourly_stats"));
    }
  }

  @Test
  public void shouldLetOnlyOneOfTwoInstancesCommitOnTheSameBase() {
    try (RegistryStore a = newStore(); RegistryStore b = newStore()) {
      RegistrySnapshot baseA = a.load();
      RegistrySnapshot baseB = b.load();
      a.commit(baseA.withDefinitions(Examples.driver(), T1, "a"));

      RegistrySnapshot fromB = baseB.withDefinitions(
          RegistryPlanTest.with(v -> v.withTtl(Duration.ofHours(9))), T2, "b");
      assertThatThrownBy(() -> b.commit(fromB))
          .isInstanceOf(RegistryConflictException.class)
          .hasMessageContaining("registry changed since it was read; re-run plan");

      RegistrySnapshot stored = b.load();
      assertThat(stored.history()).extracting(HistoryEntry::summary).containsExactly("a");
      assertThat(stored.view("driver_hourly_stats").ttl()).isEqualTo(Duration.ofHours(2));
    }
  }

  @Test
  public void shouldRejectACommitThatSkipsAVersion() {
    try (RegistryStore store = newStore()) {
      RegistrySnapshot v1 = RegistrySnapshot.empty().withDefinitions(Examples.driver(), T1, "a");
      RegistrySnapshot v2 = v1.withDefinitions(RegistryPlanTest.with(v -> v.withOwner("x")), T2, "b");

      assertThatThrownBy(() -> store.commit(v2)).isInstanceOf(RegistryConflictException.class);
      assertThat(store.load().version()).isZero();
    }
  }

  @Test
  public void shouldLoseNoUpdateWhenManyInstancesCommitConcurrently() throws Exception {
    int writers = 4;
    int commitsEach = 10;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      List<Future<?>> results = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        String name = "writer " + w;
        results.add(pool.submit(() -> {
          try (RegistryStore store = newStore()) {
            for (int i = 0; i < commitsEach; ) {
              RegistrySnapshot base = store.load();
              try {
                store.commit(base.withDefinitions(RegistryPlanTest.with(v -> v.withDescription(name)), T1, name));
                i++;
              } catch (RegistryConflictException e) {
                // lost the race: re-read and try again
              }
            }
          }
          return null;
        }));
      }
      for (Future<?> f : results) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }

    try (RegistryStore store = newStore()) {
      RegistrySnapshot s = store.load();
      assertThat(s.version()).isEqualTo(writers * commitsEach);
      assertThat(s.history()).extracting(HistoryEntry::registryVersion)
          .containsExactlyElementsOf(LongStream.rangeClosed(1, writers * commitsEach).boxed().toList());
      for (int w = 0; w < writers; w++) {
        String name = "writer " + w;
        assertThat(s.history()).filteredOn(h -> h.summary().equals(name)).hasSize(commitsEach);
      }
    }
  }
}
