package dev.quiver.materializer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaTest {
  @TempDir
  Path dir;

  @Test
  void shouldKeepRecordsAcrossARestartOnTheSameDataDirAndServeAConsumerGroup() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().withDataDir(dir.resolve("kafka")).build().start()) {
      kafka.createTopic("t", 3);
      produce(kafka, "t", 0, 50);
      kafka.stop();
      assertThat(kafka.isRunning()).isFalse();
      kafka.start();
      produce(kafka, "t", 50, 100);

      List<String> seen = consumeAll(kafka, "t", 100);
      assertThat(seen).hasSize(100).doesNotHaveDuplicates();
      assertThat(seen).contains("v0", "v49", "v50", "v99");
    }
  }

  static void produce(EmbeddedKafka kafka, String topic, int from, int to) {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      for (int i = from; i < to; i++) {
        producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i));
      }
    }
  }

  static List<String> consumeAll(EmbeddedKafka kafka, String topic, int expected) {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("group.id", "g-" + topic);
    p.put("auto.offset.reset", "earliest");
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      c.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 60_000;
      while (out.size() < expected && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
          out.add(r.value());
        }
      }
    }
    return out;
  }
}
