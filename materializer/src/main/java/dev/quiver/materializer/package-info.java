/**
 * Kafka into the stores: Quiver's wire format ({@link dev.quiver.materializer.EventEncoder}, sent
 * by {@link dev.quiver.materializer.FeatureProducer}), the streaming {@link
 * dev.quiver.materializer.Materializer} (configured by {@link
 * dev.quiver.materializer.MaterializerConfig}; bad records go to the topic described by {@link
 * dev.quiver.materializer.DeadLetters}), the {@link dev.quiver.materializer.BatchMaterializer} for
 * {@code quiver materialize --start --end}, a registry store on a compacted topic ({@link
 * dev.quiver.materializer.KafkaRegistryStore}) and a real in-process broker for tests and local mode
 * ({@link dev.quiver.materializer.EmbeddedKafka}). Implementation details live in {@code internal}.
 */
package dev.quiver.materializer;
