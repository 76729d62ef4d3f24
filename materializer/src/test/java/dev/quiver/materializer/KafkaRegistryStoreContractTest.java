package dev.quiver.materializer;

import dev.quiver.registry.RegistryStore;
import dev.quiver.registry.RegistryStoreContract;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/** The registry's store contract, run against {@link KafkaRegistryStore} on a real broker. */
class KafkaRegistryStoreContractTest extends RegistryStoreContract {
  private static final AtomicInteger TOPICS = new AtomicInteger();
  private static EmbeddedKafka kafka;
  private String topic;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.startTemporary();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  @BeforeEach
  void freshTopic() {
    topic = "registry-contract-" + TOPICS.incrementAndGet();
  }

  @Override
  protected RegistryStore newStore() {
    return KafkaRegistryStore.open(kafka.bootstrapServers(), topic);
  }
}
