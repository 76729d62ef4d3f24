package dev.quiver.materializer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The end-to-end contract against a Kafka broker running in this JVM. */
class MaterializerEndToEndTest extends MaterializerEndToEndContract {
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.startTemporary();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  @Override
  String bootstrapServers() {
    return kafka.bootstrapServers();
  }
}
