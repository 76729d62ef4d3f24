package dev.quiver.registry.archfixture;

import org.apache.kafka.clients.producer.ProducerRecord;

/** Deliberately breaks the registry's boundary; only the architecture test reads it. */
public final class RegistryClassUsingKafka {
  public ProducerRecord<byte[], byte[]> record;
}
