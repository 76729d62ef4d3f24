package dev.quiver.online.archfixture;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Deliberately breaks the online store's boundary; only the architecture test reads it. */
public final class OnlineStoreClassUsingKafka {
  public ConsumerRecord<byte[], byte[]> record;
}
