package dev.quiver.materializer;

import static dev.quiver.materializer.Fixtures.apply;
import static dev.quiver.materializer.Fixtures.defs;
import static dev.quiver.materializer.Fixtures.driver;
import static dev.quiver.materializer.Fixtures.offlineRows;
import static dev.quiver.materializer.Fixtures.row;
import static dev.quiver.materializer.Fixtures.topic;
import static dev.quiver.materializer.Fixtures.view;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quiver.offline.OfflineStore;
import dev.quiver.online.FeatureStatus;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.Definitions;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A record that cannot be dead-lettered or stored as it is never stops the materializer: an
 * oversized dead letter goes without its value, a dead-letter topic that cannot be written is
 * retried (reported, not fatal) until it can, and an event the online store refuses becomes a
 * dead letter while the rest of its batch is stored. A real broker (topics are not auto-created),
 * real stores.
 */
class MaterializerFailureTest {
  static EmbeddedKafka kafka;

  @TempDir
  Path dir;

  private final List<AutoCloseable> closeLater = new ArrayList<>();

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.builder().withBrokerProperty("auto.create.topics.enable", "false").build().start();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeLater.size() - 1; i >= 0; i--) {
      closeLater.get(i).close();
    }
  }

  @Test
  void shouldStoreAnOversizedDeadLetterWithoutItsValueAndGoOn() throws Exception {
    String view = "fail_big";
    RegistrySnapshot reg = apply(RegistrySnapshot.empty(), defs(view));
    createTopic(topic(view), Map.of());
    createTopic("dlq-big", Map.of("max.message.bytes", "4000"));
    byte[] garbage = new byte[20_000];
    Arrays.fill(garbage, (byte) 7);
    EventEncoder enc = EventEncoder.of(reg.currentVersion(view));
    Map<String, Object> good = row(2, 100);
    produce(topic(view), List.of(
        new ProducerRecord<>(topic(view), 0, "key-1".getBytes(StandardCharsets.UTF_8), garbage),
        new ProducerRecord<>(topic(view), 0, enc.key(good), enc.value(good))));

    OnlineStore online = closing(OnlineStore.open(dir.resolve("online"), reg));
    Materializer m = start("g-big", reg, online, closing(OfflineStore.open(dir.resolve("offline"), () -> reg)), "dlq-big");
    await().atMost(Duration.ofSeconds(60)).until(() -> trips(online, view, 2L) != null);
    assertThat(m.isRunning()).isTrue();
    assertThat(m.failure()).isEmpty();

    List<ConsumerRecord<byte[], byte[]>> dead = readAll("dlq-big", 1);
    assertThat(dead).hasSize(1);
    ConsumerRecord<byte[], byte[]> d = dead.get(0);
    assertThat(d.value()).isNull();
    assertThat(new String(d.key(), StandardCharsets.UTF_8)).isEqualTo("key-1");
    assertThat(header(d, DeadLetters.ERROR_CLASS)).isEqualTo("NOT_DECODABLE");
    assertThat(header(d, DeadLetters.SOURCE_TOPIC)).isEqualTo(topic(view));
    assertThat(header(d, DeadLetters.SOURCE_PARTITION)).isEqualTo("0");
    assertThat(header(d, DeadLetters.SOURCE_OFFSET)).isEqualTo("0");
    assertThat(header(d, DeadLetters.DROPPED)).startsWith("value (value 20000 bytes");
  }

  @Test
  void shouldRetryADeadLetterTopicThatCannotBeWrittenAndResumeOnceItCan() throws Exception {
    String view = "fail_dlq";
    RegistrySnapshot reg = apply(RegistrySnapshot.empty(), defs(view));
    createTopic(topic(view), Map.of());
    EventEncoder enc = EventEncoder.of(reg.currentVersion(view));
    Map<String, Object> good = row(3, 100);
    produce(topic(view), List.of(
        new ProducerRecord<>(topic(view), 0, "k".getBytes(StandardCharsets.UTF_8), "not avro".getBytes(StandardCharsets.UTF_8)),
        new ProducerRecord<>(topic(view), 0, enc.key(good), enc.value(good))));

    OnlineStore online = closing(OnlineStore.open(dir.resolve("online"), reg));
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Materializer m = start("g-dlq", reg, online, null, "dlq-missing", meters);
    // The topic does not exist (and is not auto-created): the materializer retries, reports why, lives on.
    await().atMost(Duration.ofSeconds(60)).until(() -> m.status().state() == MaterializerStatus.State.RETRYING);
    MaterializerStatus st = m.status();
    assertThat(st.detail()).startsWith("Cannot write to dead-letter topic dlq-missing: ").contains("attempt ");
    assertThat(m.isRunning()).isTrue();
    assertThat(m.failure()).isEmpty();
    assertThat(meters.get("quiver.materializer.retrying").gauge().value()).isEqualTo(1.0);
    // Nothing past the bad record is recorded before its dead letter is stored.
    assertThat(trips(online, view, 3L)).isNull();

    createTopic("dlq-missing", Map.of());
    await().atMost(Duration.ofSeconds(90)).until(() -> trips(online, view, 3L) != null);
    assertThat(readAll("dlq-missing", 1)).hasSize(1)
        .allSatisfy(d -> assertThat(header(d, DeadLetters.SOURCE_OFFSET)).isEqualTo("0"));
    await().atMost(Duration.ofSeconds(10)).until(() -> m.status().state() == MaterializerStatus.State.RUNNING);
    assertThat(meters.get("quiver.materializer.retries").counter().count()).isPositive();
    assertThat(m.failure()).isEmpty();
  }

  @Test
  void shouldStopCleanlyWhileRetryingAndResumeBeforeTheBadRecordOnRestart() throws Exception {
    String view = "fail_stop";
    RegistrySnapshot reg = apply(RegistrySnapshot.empty(), defs(view));
    createTopic(topic(view), Map.of());
    EventEncoder enc = EventEncoder.of(reg.currentVersion(view));
    Map<String, Object> good = row(4, 100);
    produce(topic(view), List.of(
        new ProducerRecord<>(topic(view), 0, "k".getBytes(StandardCharsets.UTF_8), new byte[] {1, 2, 3}),
        new ProducerRecord<>(topic(view), 0, enc.key(good), enc.value(good))));
    OnlineStore online = closing(OnlineStore.open(dir.resolve("online"), reg));
    Materializer first = start("g-stop", reg, online, null, "dlq-later");
    await().atMost(Duration.ofSeconds(60)).until(() -> first.status().state() == MaterializerStatus.State.RETRYING);
    assertThat(first.shutdown(Duration.ofSeconds(30))).as("stopped in time").isTrue();
    assertThat(first.failure()).isEmpty();
    assertThat(first.status().state()).isEqualTo(MaterializerStatus.State.STOPPED);
    assertThat(trips(online, view, 4L)).isNull();

    createTopic("dlq-later", Map.of());
    Materializer second = start("g-stop", reg, online, null, "dlq-later");
    await().atMost(Duration.ofSeconds(60)).until(() -> trips(online, view, 4L) != null);
    assertThat(readAll("dlq-later", 1)).hasSize(1)
        .allSatisfy(d -> assertThat(header(d, DeadLetters.SOURCE_OFFSET)).isEqualTo("0"));
    assertThat(second.failure()).isEmpty();
  }

  @Test
  void shouldDeadLetterAnEventTheOnlineStoreRefusesAndStoreTheRestOfItsBatch() throws Exception {
    // Two views on one topic; the online store knows only the first, so it refuses the second's events.
    Definitions both = Definitions.builder().withEntity(driver())
        .withSource(Source.kafka("src_known", "shared")).withView(view("known", false))
        .withSource(Source.kafka("src_unknown", "shared")).withView(view("unknown", false))
        .build();
    RegistrySnapshot reg = apply(RegistrySnapshot.empty(), both);
    RegistrySnapshot storeKnows = apply(RegistrySnapshot.empty(), Definitions.builder().withEntity(driver())
        .withSource(Source.kafka("src_known", "shared")).withView(view("known", false)).build());
    createTopic("shared", Map.of());
    createTopic("dlq-refused", Map.of());
    EventEncoder known = EventEncoder.of(reg.currentVersion("known"));
    EventEncoder unknown = EventEncoder.of(reg.currentVersion("unknown"));
    Map<String, Object> r1 = row(1, 100);
    Map<String, Object> r2 = row(2, 100);
    Map<String, Object> r3 = row(3, 100);
    produce("shared", List.of(
        new ProducerRecord<>("shared", 0, known.key(r1), known.value(r1)),
        new ProducerRecord<>("shared", 0, unknown.key(r2), unknown.value(r2)),
        new ProducerRecord<>("shared", 0, known.key(r3), known.value(r3))));

    OnlineStore online = closing(OnlineStore.open(dir.resolve("online"), storeKnows));
    OfflineStore offline = closing(OfflineStore.open(dir.resolve("offline"), () -> reg));
    Materializer m = start("g-refused", reg, online, offline, "dlq-refused");
    await().atMost(Duration.ofSeconds(60)).until(() -> trips(online, "known", 3L) != null && m.deadLetterCount() == 1);
    assertThat(trips(online, "known", 1L)).isEqualTo(1L);
    assertThat(m.isRunning()).isTrue();
    assertThat(m.failure()).isEmpty();

    List<ConsumerRecord<byte[], byte[]>> dead = readAll("dlq-refused", 1);
    assertThat(dead).hasSize(1);
    assertThat(header(dead.get(0), DeadLetters.ERROR_CLASS)).isEqualTo("STORE_REJECTED");
    assertThat(header(dead.get(0), DeadLetters.ERROR_MESSAGE)).contains("unknown");
    assertThat(header(dead.get(0), DeadLetters.SOURCE_OFFSET)).isEqualTo("1");
    assertThat(dead.get(0).value()).isEqualTo(unknown.value(r2));
    // Its fate is the same on both sides: not in the offline store either.
    m.shutdown();
    assertThat(offlineRows(offline, "unknown")).isEmpty();
    assertThat(offlineRows(offline, "known")).hasSize(2);
  }

  // ------------------------------------------------------------------------------------ helpers

  private Long trips(OnlineStore online, String view, long driver) {
    var got = online.get(List.of(view + ":trips"), Map.of("driver_id", List.of(driver)), Fixtures.BASE.plusSeconds(3_600));
    return got.value(0, 0).status() == FeatureStatus.PRESENT ? (Long) got.value(0, 0).value() : null;
  }

  private Materializer start(String group, RegistrySnapshot reg, OnlineStore online, OfflineStore offline, String dlq) {
    return start(group, reg, online, offline, dlq, new SimpleMeterRegistry());
  }

  private Materializer start(String group, RegistrySnapshot reg, OnlineStore online, OfflineStore offline, String dlq,
                             SimpleMeterRegistry meters) {
    return closing(Materializer.create(MaterializerConfig.builder()
        .withBootstrapServers(kafka.bootstrapServers())
        .withGroupId(group)
        .withRegistry(reg)
        .withOnlineSink(online)
        .withOfflineSink(offline)
        .withFlushAge(Duration.ofMillis(200))
        .withDeadLetterTopic(dlq)
        .withMeterRegistry(meters)
        .build()).start());
  }

  private <T extends AutoCloseable> T closing(T t) {
    closeLater.add(t);
    return t;
  }

  private static void createTopic(String topic, Map<String, String> configs) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    try (Admin admin = Admin.create(p)) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(configs))).all().get();
    }
  }

  private static void produce(String topic, List<ProducerRecord<byte[], byte[]>> records) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (ProducerRecord<byte[], byte[]> r : records) {
        raw.send(r).get();
      }
    }
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
    return Fixtures.readAll(kafka.bootstrapServers(), topic, expected);
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
