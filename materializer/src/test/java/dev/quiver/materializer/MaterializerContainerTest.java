package dev.quiver.materializer;

import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/** The same end-to-end contract against a containerised broker; skipped where Docker is absent. */
@Testcontainers(disabledWithoutDocker = true)
class MaterializerContainerTest extends MaterializerEndToEndContract {
  @Container
  static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka:4.4.0");

  @Override
  String bootstrapServers() {
    return KAFKA.getBootstrapServers();
  }
}
