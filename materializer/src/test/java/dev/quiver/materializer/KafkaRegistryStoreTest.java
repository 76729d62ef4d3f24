package dev.quiver.materializer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.registry.Examples;
import dev.quiver.registry.RegistryConflictException;
import dev.quiver.registry.RegistrySnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KafkaRegistryStoreTest {
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.startTemporary();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  @Test
  void shouldLoadTheEmptyRegistryFromANewTopicAndTheLatestCommitAfterwards() {
    KafkaRegistryStore store = KafkaRegistryStore.open(kafka.bootstrapServers(), "reg-basic");
    assertThat(store.load().version()).isZero();
    RegistrySnapshot v1 = RegistrySnapshot.of(Examples.driver());
    store.commit(v1);
    RegistrySnapshot v2 = v1.withDefinitions(Examples.driver(), Instant.parse("2026-01-01T00:00:00Z"), "again");
    store.commit(v2);

    RegistrySnapshot loaded = KafkaRegistryStore.open(kafka.bootstrapServers(), "reg-basic").load();
    assertThat(loaded.version()).isEqualTo(2);
    assertThat(loaded.hash()).isEqualTo(v2.hash());
    assertThat(loaded.currentVersion("driver_hourly_stats").fingerprint())
        .isEqualTo(v1.currentVersion("driver_hourly_stats").fingerprint());
    assertThat(loaded.history()).hasSize(2);
  }

  @Test
  void shouldRefuseACommitPlannedAgainstAnOlderVersion() {
    KafkaRegistryStore store = KafkaRegistryStore.open(kafka.bootstrapServers(), "reg-stale");
    RegistrySnapshot v1 = RegistrySnapshot.of(Examples.driver());
    store.commit(v1);
    assertThatThrownBy(() -> store.commit(v1)).isInstanceOf(RegistryConflictException.class)
        .hasMessageContaining("Cannot commit registry version 1 to topic reg-stale: registry changed since it was read")
        .hasMessageContaining("it is at version 1");
    assertThat(store.load().version()).isEqualTo(1);
  }

  @Test
  void shouldLetExactlyOneOfConcurrentCommitsOnTheSameBaseWin() throws Exception {
    String topic = "reg-race";
    KafkaRegistryStore.open(kafka.bootstrapServers(), topic);
    RegistrySnapshot v1 = RegistrySnapshot.of(Examples.driver());
    int writers = 4;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Boolean>> results = new ArrayList<>();
    for (int i = 0; i < writers; i++) {
      results.add(pool.submit(() -> {
        go.await();
        try {
          KafkaRegistryStore.open(kafka.bootstrapServers(), topic).commit(v1);
          return true;
        } catch (RegistryConflictException e) {
          return false;
        }
      }));
    }
    go.countDown();
    int wins = 0;
    for (Future<Boolean> f : results) {
      wins += f.get() ? 1 : 0;
    }
    pool.shutdown();
    assertThat(wins).isEqualTo(1);
    assertThat(KafkaRegistryStore.open(kafka.bootstrapServers(), topic).load().version()).isEqualTo(1);
  }
}
