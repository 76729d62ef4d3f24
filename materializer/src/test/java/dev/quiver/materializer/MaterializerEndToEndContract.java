package dev.quiver.materializer;

import static dev.quiver.materializer.Fixtures.apply;
import static dev.quiver.materializer.Fixtures.created;
import static dev.quiver.materializer.Fixtures.defs;
import static dev.quiver.materializer.Fixtures.expected;
import static dev.quiver.materializer.Fixtures.offlineRowCount;
import static dev.quiver.materializer.Fixtures.offlineRows;
import static dev.quiver.materializer.Fixtures.row;
import static dev.quiver.materializer.Fixtures.rowsOf;
import static dev.quiver.materializer.Fixtures.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quiver.offline.CommittedFile;
import dev.quiver.offline.OfflineStore;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.registry.RegistrySnapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The materializer end to end against a real broker and the real stores; run by {@link
 * MaterializerEndToEndTest} (in-process broker) and {@link MaterializerContainerTest} (Docker).
 */
abstract class MaterializerEndToEndContract {
  @TempDir
  Path dir;

  private final List<AutoCloseable> closeLater = new ArrayList<>();

  abstract String bootstrapServers();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeLater.size() - 1; i >= 0; i--) {
      closeLater.get(i).close();
    }
    closeLater.clear();
  }

  private <T extends AutoCloseable> T closing(T t) {
    closeLater.add(t);
    return t;
  }

  void createTopic(String topic, int partitions) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    try (Admin admin = Admin.create(p)) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
    }
  }

  Materializer start(String group, AtomicReference<RegistrySnapshot> registry, OnlineStore online,
                     OfflineStore offline, String dlq, SimpleMeterRegistry meters) {
    MaterializerConfig config = MaterializerConfig.builder()
        .withBootstrapServers(bootstrapServers())
        .withGroupId(group)
        .withRegistry(registry::get)
        .withOnlineSink(online)
        .withOfflineSink(offline)
        .withOnRegistryChange(online::useRegistry)
        .withFlushSize(2_000)
        .withFlushAge(Duration.ofMillis(300))
        .withDeadLetterTopic(dlq)
        .withMeterRegistry(meters)
        .withConsumerProperty("session.timeout.ms", "10000")
        .build();
    return closing(Materializer.create(config).start());
  }

  FeatureProducer producer(AtomicReference<RegistrySnapshot> registry) {
    return closing(FeatureProducer.builder().withBootstrapServers(bootstrapServers()).withRegistry(registry::get).build());
  }

  /** Sends rows [from, to) with the version's schema and returns the events they should become. */
  List<FeatureEvent> send(FeatureProducer p, FeatureViewVersion writer, FeatureViewVersion current, long from, long to,
                          int drivers) {
    List<CompletableFuture<FeatureEvent>> fs = new ArrayList<>();
    for (long i = from; i < to; i++) {
      Map<String, Object> r = row(i, drivers);
      if (writer.feature("acc_rate").isPresent()) {
        r.put("acc_rate", i / 2.0);
      }
      Instant c = created(i);
      fs.add(p.send(writer, r, c).thenApply(s -> expected(writer.view(), current, r, c, s.partition(), s.offset())));
    }
    return fs.stream().map(CompletableFuture::join).toList();
  }

  @Test
  void shouldStoreEveryProducedEventInBothStores() throws Exception {
    String view = "e2e_basic";
    createTopic(topic(view), 3);
    AtomicReference<RegistrySnapshot> reg = new AtomicReference<>(apply(RegistrySnapshot.empty(), defs(view)));
    OnlineStore online = closing(OnlineStore.open(dir.resolve("online"), reg.get()));
    OfflineStore offline = closing(OfflineStore.open(dir.resolve("offline"), reg::get));
    FeatureViewVersion v1 = reg.get().currentVersion(view);
    List<FeatureEvent> sent = send(producer(reg), v1, v1, 0, 5_000, 200);

    assertThat(Fixtures.entitiesDecidedByCreatedTime(sent)).as("entities whose latest the created time decides")
        .isPositive();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Materializer m = start("g-basic", reg, online, offline, "dlq-basic", meters);
    await().atMost(Duration.ofSeconds(60)).until(() -> offlineRowCount(offline, view) >= sent.size());
    for (int p = 0; p < 3; p++) {
      String partition = String.valueOf(p);
      await().atMost(Duration.ofSeconds(10)).until(() -> meters.find("quiver.materializer.lag")
          .tags("topic", topic(view), "partition", partition).gauge() != null
          && meters.get("quiver.materializer.lag").tags("topic", topic(view), "partition", partition).gauge().value() == 0);
    }
    m.shutdown();

    assertThat(offlineRows(offline, view)).containsExactlyInAnyOrderElementsOf(rowsOf(sent));
    Fixtures.assertOnlineHoldsLatest(online, view, sent);
    assertThat(meters.get("quiver.materializer.records").tag("view", view).counter().count()).isEqualTo(5_000);
    assertThat(meters.get("quiver.materializer.flush").tag("view", view).timer().count()).isPositive();
    assertThat(meters.get("quiver.materializer.online.write").timer().count()).isPositive();
    assertThat(meters.get("quiver.materializer.freshness").tag("view", view).gauge().value()).isPositive();
    assertThat(m.deadLetterCount()).isZero();
    assertThat(m.failure()).isEmpty();
  }

  @Test
  void shouldSendEveryKindOfBadRecordToTheDeadLetterTopicAndKeepGoing() throws Exception {
    String view = "e2e_dlq";
    String dlq = "dlq-e2e";
    createTopic(topic(view), 1);
    AtomicReference<RegistrySnapshot> reg = new AtomicReference<>(apply(RegistrySnapshot.empty(), defs(view)));
    OnlineStore online = closing(OnlineStore.open(dir.resolve("online"), reg.get()));
    OfflineStore offline = closing(OfflineStore.open(dir.resolve("offline"), reg::get));
    FeatureViewVersion v1 = reg.get().currentVersion(view);
    EventEncoder enc = EventEncoder.of(v1);
    Map<String, Object> good = row(1, 10);
    byte[] key = enc.key(good);
    byte[] value = enc.value(good);

    byte[] unknownFp = value.clone();
    ByteBuffer.wrap(unknownFp, 2, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(0x1234_5678_9ABC_DEF0L);
    byte[] trailing = Arrays.copyOf(value, value.length + 1);
    byte[] truncated = Arrays.copyOf(value, value.length - 3);
    Map<String, Object> old = row(2, 10);
    old.put("event_timestamp", Instant.parse("1969-12-31T23:00:00Z"));
    Map<String, Object> future = row(3, 10);
    future.put("event_timestamp", Instant.now().plus(Duration.ofDays(2)));
    Map<String, Object> other = row(4, 10);

    record Bad(byte[] key, byte[] value, String header, byte[] headerValue, DeadLetters.Reason reason) {}
    List<Bad> bad = List.of(
        new Bad(key, "not avro".getBytes(StandardCharsets.UTF_8), null, null, DeadLetters.Reason.NOT_DECODABLE),
        new Bad(key, truncated, null, null, DeadLetters.Reason.NOT_DECODABLE),
        new Bad(key, unknownFp, null, null, DeadLetters.Reason.UNKNOWN_FINGERPRINT),
        new Bad(key, trailing, null, null, DeadLetters.Reason.SCHEMA_VIOLATION),
        new Bad(key, value, EventEncoder.CREATED_TS_HEADER, new byte[0], DeadLetters.Reason.MISSING_TIMESTAMP),
        new Bad(enc.key(old), enc.value(old), null, null, DeadLetters.Reason.TIMESTAMP_OUT_OF_RANGE),
        new Bad(enc.key(future), enc.value(future), null, null, DeadLetters.Reason.TIMESTAMP_OUT_OF_RANGE),
        new Bad(enc.key(other), value, null, null, DeadLetters.Reason.KEY_MISMATCH),
        new Bad(null, value, null, null, DeadLetters.Reason.KEY_MISMATCH));

    Map<Long, DeadLetters.Reason> expectedByOffset = new HashMap<>();
    List<FeatureEvent> goodEvents = new ArrayList<>();
    Properties pp = new Properties();
    pp.put("bootstrap.servers", bootstrapServers());
    try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < bad.size(); i++) {
        Bad b = bad.get(i);
        ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(topic(view), 0, b.key(), b.value());
        rec.headers().add("trace", ("t" + i).getBytes(StandardCharsets.UTF_8));
        if (b.header() != null) {
          rec.headers().add(b.header(), b.headerValue());
        }
        expectedByOffset.put(raw.send(rec).get().offset(), b.reason());
        Map<String, Object> r = row(100 + i, 10);
        var md = raw.send(new ProducerRecord<>(topic(view), 0, enc.key(r), enc.value(r))).get();
        // No created_ts header: the created time is the record's Kafka timestamp.
        goodEvents.add(expected(view, v1, r, Instant.ofEpochMilli(md.timestamp()), 0, md.offset()));
      }
    }

    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Materializer m = start("g-dlq", reg, online, offline, dlq, meters);
    List<ConsumerRecord<byte[], byte[]>> letters = readAll(dlq, bad.size());
    await().atMost(Duration.ofSeconds(30)).until(() -> offlineRowCount(offline, view) >= goodEvents.size());
    m.shutdown();

    assertThat(letters).hasSize(bad.size());
    assertThat(m.deadLetterCount()).isEqualTo(bad.size());
    assertThat(meters.get("quiver.materializer.dead.letters").tag("reason", "TIMESTAMP_OUT_OF_RANGE").counter().count())
        .isEqualTo(2);
    assertThat(meters.get("quiver.materializer.dead.letters").tag("reason", "KEY_MISMATCH").counter().count())
        .isEqualTo(2);
    for (ConsumerRecord<byte[], byte[]> l : letters) {
      long offset = Long.parseLong(header(l, DeadLetters.SOURCE_OFFSET));
      assertThat(header(l, DeadLetters.ERROR_CLASS)).as("error class of offset %d", offset)
          .isEqualTo(expectedByOffset.get(offset).name());
      assertThat(header(l, DeadLetters.ERROR_MESSAGE)).startsWith("Cannot ");
      assertThat(header(l, DeadLetters.SOURCE_TOPIC)).isEqualTo(topic(view));
      assertThat(header(l, DeadLetters.SOURCE_PARTITION)).isEqualTo("0");
      assertThat(header(l, "trace")).startsWith("t");
    }
    assertThat(letters.stream().map(l -> Long.parseLong(header(l, DeadLetters.SOURCE_OFFSET))).toList())
        .containsExactlyInAnyOrderElementsOf(expectedByOffset.keySet());
    assertThat(offlineRows(offline, view)).containsExactlyInAnyOrderElementsOf(rowsOf(goodEvents));
  }

  @Test
  void shouldStoreInterleavedV1AndV2EventsUnderTheCurrentVersion() throws Exception {
    String view = "e2e_versions";
    createTopic(topic(view), 3);
    RegistrySnapshot s1 = apply(RegistrySnapshot.empty(), defs(view));
    RegistrySnapshot s2 = apply(s1, Fixtures.withAccRate(s1.definitions(), view));
    FeatureViewVersion v1 = s2.version(view, 1);
    FeatureViewVersion v2 = s2.version(view, 2);
    assertThat(v1.fingerprint()).isNotEqualTo(v2.fingerprint());
    AtomicReference<RegistrySnapshot> reg = new AtomicReference<>(s2);
    OnlineStore online = closing(OnlineStore.open(dir.resolve("online"), s2));
    OfflineStore offline = closing(OfflineStore.open(dir.resolve("offline"), reg::get));
    FeatureProducer p = producer(reg);
    List<FeatureEvent> sent = new ArrayList<>();
    for (int chunk = 0; chunk < 10; chunk++) {
      sent.addAll(send(p, chunk % 2 == 0 ? v1 : v2, v2, chunk * 300L, chunk * 300L + 300, 50));
    }

    Materializer m = start("g-versions", reg, online, offline, "dlq-versions", new SimpleMeterRegistry());
    await().atMost(Duration.ofSeconds(60)).until(() -> offlineRowCount(offline, view) >= sent.size());
    m.shutdown();

    assertThat(m.deadLetterCount()).isZero();
    assertThat(offlineRows(offline, view)).containsExactlyInAnyOrderElementsOf(rowsOf(sent));
    assertThat(offline.committedFiles(view)).allSatisfy(f -> assertThat(f.schemaVersion()).isEqualTo(2));
    Fixtures.assertOnlineHoldsLatest(online, view, sent);
    // v1 events carry no acc_rate: they resolve to null, v2 events keep theirs.
    var latest = Fixtures.latest(sent);
    var got = online.get(List.of(view + ":acc_rate"), Map.of("driver_id", new ArrayList<>(latest.keySet())),
        Fixtures.BASE.plusSeconds(86_400));
    int i = 0;
    for (Long id : latest.keySet()) {
      assertThat(got.value(i++, 0).value()).isEqualTo(latest.get(id).values().get(3));
    }
  }

  @Test
  void shouldStartMaterializingAViewAppliedWhileRunning() throws Exception {
    String first = "e2e_first";
    String later = "e2e_later";
    createTopic(topic(first), 2);
    createTopic(topic(later), 2);
    AtomicReference<RegistrySnapshot> reg = new AtomicReference<>(apply(RegistrySnapshot.empty(), defs(first)));
    OnlineStore online = closing(OnlineStore.open(dir.resolve("online"), reg.get()));
    OfflineStore offline = closing(OfflineStore.open(dir.resolve("offline"), reg::get));
    FeatureProducer p = producer(reg);
    List<FeatureEvent> a = send(p, reg.get().currentVersion(first), reg.get().currentVersion(first), 0, 500, 20);
    Materializer m = start("g-later", reg, online, offline, "dlq-later", new SimpleMeterRegistry());
    await().atMost(Duration.ofSeconds(60)).until(() -> offlineRowCount(offline, first) >= a.size());

    reg.set(apply(reg.get(), defs(first, later)));
    FeatureViewVersion lv = reg.get().currentVersion(later);
    List<FeatureEvent> b = send(p, lv, lv, 0, 700, 30);
    await().atMost(Duration.ofSeconds(60)).until(() -> offlineRowCount(offline, later) >= b.size());
    m.shutdown();

    assertThat(offlineRows(offline, later)).containsExactlyInAnyOrderElementsOf(rowsOf(b));
    assertThat(offlineRows(offline, first)).containsExactlyInAnyOrderElementsOf(rowsOf(a));
    Fixtures.assertOnlineHoldsLatest(online, later, b);
    Fixtures.assertOnlineHoldsLatest(online, first, a);
  }

  @Test
  void shouldOwnEveryPartitionOnceAndLoseOrDoubleNothingWhenASecondMaterializerJoinsAndTheFirstLeaves()
      throws Exception {
    String view = "e2e_group";
    createTopic(topic(view), 6);
    AtomicReference<RegistrySnapshot> reg = new AtomicReference<>(apply(RegistrySnapshot.empty(), defs(view)));
    OnlineStore online = closing(OnlineStore.open(dir.resolve("online"), reg.get()));
    OfflineStore offline = closing(OfflineStore.open(dir.resolve("offline"), reg::get));
    FeatureProducer p = producer(reg);
    FeatureViewVersion v1 = reg.get().currentVersion(view);
    List<FeatureEvent> sent = new ArrayList<>(send(p, v1, v1, 0, 3_000, 300));

    Materializer m1 = start("g-group", reg, online, offline, "dlq-group", new SimpleMeterRegistry());
    await().atMost(Duration.ofSeconds(30)).until(() -> m1.assignment().size() == 6);
    sent.addAll(send(p, v1, v1, 3_000, 6_000, 300));
    Materializer m2 = start("g-group", reg, online, offline, "dlq-group", new SimpleMeterRegistry());
    for (long from = 6_000; from < 12_000; from += 1_000) {
      sent.addAll(send(p, v1, v1, from, from + 1_000, 300));
      Thread.sleep(100);
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> m1.assignment().size() + m2.assignment().size() == 6
        && !m2.assignment().isEmpty() && !m1.assignment().isEmpty());
    Set<String> both = new HashSet<>(m1.assignment());
    both.retainAll(m2.assignment());
    assertThat(both).as("partitions owned by both").isEmpty();

    m1.shutdown();
    sent.addAll(send(p, v1, v1, 12_000, 15_000, 300));
    await().atMost(Duration.ofSeconds(60)).until(() -> m2.assignment().size() == 6);
    await().atMost(Duration.ofSeconds(60)).until(() -> offlineRowCount(offline, view) >= sent.size());
    m2.shutdown();

    List<String> rows = offlineRows(offline, view);
    assertThat(rows).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(rowsOf(sent));
    Fixtures.assertOnlineHoldsLatest(online, view, sent);
  }

  // ------------------------------------------------------------------ sources and sink positions

  @Test
  void shouldStoreANewTopicsEventsInBothStoresWhenAViewsSourceTopicChangesAndTheirOffsetsOverlapTheOldOnes()
      throws Exception {
    String view = "e2e_topic";
    String oldTopic = "e2e_topic.old";
    String newTopic = "e2e_topic.new";
    createTopic(oldTopic, 2);
    createTopic(newTopic, 2);
    AtomicReference<RegistrySnapshot> reg = new AtomicReference<>(apply(RegistrySnapshot.empty(),
        Fixtures.defsWithTopic(view, oldTopic)));
    OnlineStore online = closing(OnlineStore.open(dir.resolve("online"), reg.get()));
    OfflineStore offline = closing(OfflineStore.open(dir.resolve("offline"), reg::get));
    FeatureProducer p = producer(reg);
    FeatureViewVersion v1 = reg.get().currentVersion(view);
    List<FeatureEvent> a = send(p, v1, v1, 0, 600, 30);
    assertThat(a).allSatisfy(e -> assertThat(e.offset()).isLessThan(600));
    Materializer m = start("g-topic", reg, online, offline, "dlq-topic", new SimpleMeterRegistry());
    await().atMost(Duration.ofSeconds(60)).until(() -> offlineRowCount(offline, view) >= a.size());

    // The source now reads another topic; its offsets start again at 0 and overlap the old ones.
    reg.set(apply(reg.get(), Fixtures.defsWithTopic(view, newTopic)));
    List<CompletableFuture<FeatureEvent>> fs = new ArrayList<>();
    for (long i = 600; i < 1_200; i++) {
      Map<String, Object> r = row(i, 30);
      // Newer than any before, and not after the time Fixtures.assertOnlineHoldsLatest looks up at.
      r.put("event_timestamp", ((Instant) r.get("event_timestamp")).plusSeconds(3_600));
      Instant c = created(i);
      FeatureViewVersion cur = reg.get().currentVersion(view);
      fs.add(p.send(cur, r, c).thenApply(sent -> {
        assertThat(sent.topic()).isEqualTo(newTopic);
        return expected(view, cur, r, c, sent.partition(), sent.offset());
      }));
    }
    List<FeatureEvent> b = fs.stream().map(CompletableFuture::join).toList();
    assertThat(b).anySatisfy(e -> assertThat(e.offset()).isZero());
    List<FeatureEvent> all = new ArrayList<>(a);
    all.addAll(b);
    await().atMost(Duration.ofSeconds(60)).until(() -> offlineRowCount(offline, view) >= all.size());
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> Fixtures.assertOnlineHoldsLatest(online, view, b));
    m.shutdown();

    assertThat(m.deadLetterCount()).isZero();
    assertThat(offlineRows(offline, view)).containsExactlyInAnyOrderElementsOf(rowsOf(all));
    assertThat(offline.committedRanges(view, newTopic, 0)).isNotEmpty();
    assertThat(offline.position(view, newTopic, 0) + offline.position(view, newTopic, 1)).isEqualTo(b.size());
    Fixtures.assertOnlineHoldsLatest(online, view, all);
  }

  @Test
  void shouldDeadLetterARecordWhoseViewReadsAnotherTopic() throws Exception {
    String dlq = "dlq-wrong-topic";
    createTopic(topic("e2e_wt_a"), 1);
    createTopic(topic("e2e_wt_b"), 1);
    AtomicReference<RegistrySnapshot> reg = new AtomicReference<>(apply(RegistrySnapshot.empty(),
        defs("e2e_wt_a", "e2e_wt_b")));
    OnlineStore online = closing(OnlineStore.open(dir.resolve("online"), reg.get()));
    OfflineStore offline = closing(OfflineStore.open(dir.resolve("offline"), reg::get));
    EventEncoder encA = EventEncoder.of(reg.get().currentVersion("e2e_wt_a"));
    EventEncoder encB = EventEncoder.of(reg.get().currentVersion("e2e_wt_b"));
    Map<String, Object> r = row(7, 100);
    Properties pp = new Properties();
    pp.put("bootstrap.servers", bootstrapServers());
    try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer())) {
      // A record of view a in the topic of view b, then a good record of b.
      raw.send(new ProducerRecord<>(topic("e2e_wt_b"), 0, encA.key(r), encA.value(r))).get();
      raw.send(new ProducerRecord<>(topic("e2e_wt_b"), 0, encB.key(r), encB.value(r))).get();
    }
    Materializer m = start("g-wrong-topic", reg, online, offline, dlq, new SimpleMeterRegistry());
    List<ConsumerRecord<byte[], byte[]>> letters = readAll(dlq, 1);
    await().atMost(Duration.ofSeconds(30)).until(() -> offlineRowCount(offline, "e2e_wt_b") >= 1);
    m.shutdown();

    assertThat(letters).hasSize(1);
    assertThat(header(letters.get(0), DeadLetters.ERROR_CLASS)).isEqualTo(DeadLetters.Reason.WRONG_TOPIC.name());
    assertThat(header(letters.get(0), DeadLetters.ERROR_MESSAGE))
        .isEqualTo("Cannot accept event of e2e_wt_a from topic quiver.e2e_wt_b: the view reads topic quiver.e2e_wt_a");
    assertThat(header(letters.get(0), DeadLetters.SOURCE_OFFSET)).isEqualTo("0");
    assertThat(offlineRowCount(offline, "e2e_wt_a")).isZero();
    assertThat(offlineRowCount(offline, "e2e_wt_b")).isEqualTo(1);
    assertThat(online.get(List.of("e2e_wt_a:trips"), Map.of("driver_id", List.of(7L)), Fixtures.BASE.plusSeconds(3600))
        .value(0, 0).status()).isEqualTo(dev.quiver.online.FeatureStatus.NOT_FOUND);
  }

  @Test
  void shouldCatchUpAMovedOfflineRootFromKafkaAndLeaveTheOnlineStoreAsItWas() throws Exception {
    String view = "e2e_moved_offline";
    createTopic(topic(view), 3);
    AtomicReference<RegistrySnapshot> reg = new AtomicReference<>(apply(RegistrySnapshot.empty(), defs(view)));
    OnlineStore online = closing(OnlineStore.open(dir.resolve("online"), reg.get()));
    Path root = dir.resolve("offline");
    OfflineStore first = OfflineStore.open(root, reg::get);
    FeatureViewVersion v1 = reg.get().currentVersion(view);
    List<FeatureEvent> sent = send(producer(reg), v1, v1, 0, 3_000, 100);
    Materializer m1 = start("g-moved-offline", reg, online, first, "dlq-moved", new SimpleMeterRegistry());
    await().atMost(Duration.ofSeconds(60)).until(() -> offlineRowCount(first, view) >= sent.size());
    m1.shutdown();
    first.close();
    List<String> onlineBefore = onlineDump(online, view, sent);

    Files.move(root, dir.resolve("offline-moved"));
    OfflineStore fresh = closing(OfflineStore.open(root, reg::get));
    Materializer m2 = start("g-moved-offline", reg, online, fresh, "dlq-moved", new SimpleMeterRegistry());
    await().atMost(Duration.ofSeconds(60)).until(() -> offlineRowCount(fresh, view) >= sent.size());
    m2.shutdown();

    assertThat(offlineRows(fresh, view)).containsExactlyInAnyOrderElementsOf(rowsOf(sent));
    assertThat(onlineDump(online, view, sent)).isEqualTo(onlineBefore);
    Fixtures.assertOnlineHoldsLatest(online, view, sent);
  }

  @Test
  void shouldCatchUpANewOnlineStoreFromKafkaAndLeaveTheOfflineStoreAsItWas() throws Exception {
    String view = "e2e_new_online";
    createTopic(topic(view), 3);
    AtomicReference<RegistrySnapshot> reg = new AtomicReference<>(apply(RegistrySnapshot.empty(), defs(view)));
    OnlineStore first = OnlineStore.open(dir.resolve("online"), reg.get());
    OfflineStore offline = closing(OfflineStore.open(dir.resolve("offline"), reg::get));
    FeatureViewVersion v1 = reg.get().currentVersion(view);
    List<FeatureEvent> sent = send(producer(reg), v1, v1, 0, 3_000, 100);
    Materializer m1 = start("g-new-online", reg, first, offline, "dlq-new-online", new SimpleMeterRegistry());
    await().atMost(Duration.ofSeconds(60)).until(() -> offlineRowCount(offline, view) >= sent.size());
    m1.shutdown();
    first.close();
    List<CommittedFile> filesBefore = offline.committedFiles(view);

    OnlineStore fresh = closing(OnlineStore.open(dir.resolve("online-new"), reg.get()));
    Materializer m2 = start("g-new-online", reg, fresh, offline, "dlq-new-online", new SimpleMeterRegistry());
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
        .untilAsserted(() -> Fixtures.assertOnlineHoldsLatest(fresh, view, sent));
    m2.shutdown();

    assertThat(offline.committedFiles(view)).isEqualTo(filesBefore);
    assertThat(offlineRows(offline, view)).containsExactlyInAnyOrderElementsOf(rowsOf(sent));
  }

  @Test
  void shouldReadTheRegistryAfreshBeforeDeadLetteringARecordOfAVersionItDoesNotKnow() throws Exception {
    String view = "e2e_fresh";
    createTopic(topic(view), 1);
    RegistrySnapshot s1 = apply(RegistrySnapshot.empty(), defs(view));
    RegistrySnapshot s2 = apply(s1, Fixtures.withAccRate(s1.definitions(), view));
    OnlineStore online = closing(OnlineStore.open(dir.resolve("online"), s1));
    OfflineStore offline = closing(OfflineStore.open(dir.resolve("offline"), () -> s2));
    AtomicReference<RegistrySnapshot> producerReg = new AtomicReference<>(s2);
    FeatureViewVersion v2 = s2.currentVersion(view);
    List<FeatureEvent> sent = send(producer(producerReg), v2, v2, 0, 10, 10);
    // The registry the materializer reads every loop is a cache that still holds version 1.
    Materializer m = closing(Materializer.create(MaterializerConfig.builder()
        .withBootstrapServers(bootstrapServers()).withGroupId("g-fresh")
        .withRegistry(() -> s1).withFreshRegistry(() -> s2)
        .withOnlineSink(online).withOfflineSink(offline).withOnRegistryChange(online::useRegistry)
        .withFlushSize(2_000).withFlushAge(Duration.ofMillis(300)).withDeadLetterTopic("dlq-fresh")
        .withConsumerProperty("session.timeout.ms", "10000").build()).start());
    await().atMost(Duration.ofSeconds(60)).until(() -> offlineRowCount(offline, view) >= sent.size());
    m.shutdown();

    assertThat(m.deadLetterCount()).isZero();
    assertThat(offlineRows(offline, view)).containsExactlyInAnyOrderElementsOf(rowsOf(sent));
    Fixtures.assertOnlineHoldsLatest(online, view, sent);
  }

  @Test
  void shouldResumeAStoreWrittenBeforePositionsMovedToTheOfflineStoreFromItsVersion1OfflineNext() throws Exception {
    String view = "e2e_upgrade";
    String group = "g-upgrade";
    createTopic(topic(view), 2);
    AtomicReference<RegistrySnapshot> reg = new AtomicReference<>(apply(RegistrySnapshot.empty(), defs(view)));
    OnlineStore online = closing(OnlineStore.open(dir.resolve("online"), reg.get()));
    Path root = dir.resolve("offline");
    OfflineStore first = OfflineStore.open(root, reg::get);
    FeatureViewVersion v1 = reg.get().currentVersion(view);
    FeatureProducer p = producer(reg);
    List<FeatureEvent> a = send(p, v1, v1, 0, 1_000, 50);
    Materializer m1 = start(group, reg, online, first, "dlq-upgrade", new SimpleMeterRegistry());
    await().atMost(Duration.ofSeconds(60)).until(() -> offlineRowCount(first, view) >= a.size());
    m1.shutdown();
    long[] next = {first.position(view, topic(view), 0), first.position(view, topic(view), 1)};
    first.close();
    // Turn the stores into what the previous release wrote: commit records of format version 1
    // (no topics, no positions) and online positions of version 1 holding the offline next.
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    try (var records = Files.list(root.resolve(view).resolve("_commits"))) {
      for (Path r : records.toList()) {
        var o = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(r.toFile());
        o.put("formatVersion", 1);
        o.remove("positions");
        o.get("ranges").forEach(n -> ((com.fasterxml.jackson.databind.node.ObjectNode) n).remove("topic"));
        o.get("files").forEach(n -> ((com.fasterxml.jackson.databind.node.ObjectNode) n).remove("topic"));
        if (o.get("files").isEmpty()) {
          Files.delete(r); // the previous release wrote no position-only records
        } else {
          json.writeValue(r.toFile(), o);
        }
      }
    }
    Map<String, byte[]> v1Positions = new HashMap<>();
    for (int part = 0; part < 2; part++) {
      v1Positions.put(dev.quiver.materializer.internal.Positions.metaKey(group, topic(view), part),
          ByteBuffer.allocate(17).put((byte) 1).putLong(next[part]).putLong(next[part]).array());
    }
    online.write(List.of(), v1Positions);

    OfflineStore upgraded = closing(OfflineStore.open(root, reg::get));
    assertThat(upgraded.position(view, topic(view), 0)).isZero();
    List<FeatureEvent> b = send(p, v1, v1, 1_000, 1_500, 50);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Materializer m2 = start(group, reg, online, upgraded, "dlq-upgrade", meters);
    await().atMost(Duration.ofSeconds(60)).until(() -> offlineRowCount(upgraded, view) >= a.size() + b.size());
    m2.shutdown();

    assertThat(meters.get("quiver.materializer.records").tag("view", view).counter().count())
        .as("records read after the upgrade: only the new ones, no replay from 0").isEqualTo(b.size());
    List<FeatureEvent> all = new ArrayList<>(a);
    all.addAll(b);
    assertThat(offlineRows(upgraded, view)).containsExactlyInAnyOrderElementsOf(rowsOf(all));
    Fixtures.assertOnlineHoldsLatest(online, view, all);
  }

  /** Every feature, status and event time the online store serves for the drivers of these events. */
  static List<String> onlineDump(OnlineStore online, String view, List<FeatureEvent> events) {
    List<Long> ids = events.stream().map(e -> (Long) e.keys().get(0)).distinct().sorted().toList();
    var got = online.get(List.of(view + ":conv_rate", view + ":trips", view + ":note"), Map.of("driver_id", ids),
        Fixtures.BASE.plusSeconds(86_400));
    List<String> out = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      for (int f = 0; f < 3; f++) {
        var v = got.value(i, f);
        out.add(ids.get(i) + ":" + f + "=" + v.status() + "/" + v.value() + "/" + v.eventTime());
      }
    }
    return out;
  }

  List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
    return Fixtures.readAll(bootstrapServers(), topic, expected);
  }

  static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  @Test
  void shouldRouteRecordsByTheirTargetHeaderAndDeadLetterAnUnknownTarget() throws Exception {
    String view = "e2e_route";
    createTopic(topic(view), 1);
    AtomicReference<RegistrySnapshot> reg = new AtomicReference<>(apply(RegistrySnapshot.empty(), defs(view)));
    OnlineStore online = closing(OnlineStore.open(dir.resolve("online"), reg.get()));
    OfflineStore offline = closing(OfflineStore.open(dir.resolve("offline"), reg::get));
    EventEncoder enc = EventEncoder.of(reg.get().currentVersion(view));
    Properties pp = new Properties();
    pp.put("bootstrap.servers", bootstrapServers());
    String[] targets = {"online", "offline", null, "nowhere"};
    try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int driver = 1; driver <= targets.length; driver++) {
        Map<String, Object> r = row(driver, 100);
        ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(topic(view), 0, enc.key(r), enc.value(r));
        if (targets[driver - 1] != null) {
          rec.headers().add(Materializer.TARGET_HEADER, targets[driver - 1].getBytes(StandardCharsets.UTF_8));
        }
        raw.send(rec).get();
      }
    }
    Materializer m = start("g-route", reg, online, offline, "dlq-route", new SimpleMeterRegistry());
    Instant now = Fixtures.BASE.plusSeconds(3600);
    List<String> ref = List.of(view + ":trips");
    Map<String, List<Long>> drivers = Map.of("driver_id", List.of(1L, 2L, 3L, 4L));
    await().atMost(Duration.ofSeconds(60)).until(() -> offlineRowCount(offline, view) >= 2
        && online.get(ref, drivers, now).value(2, 0).status() == dev.quiver.online.FeatureStatus.PRESENT
        && m.deadLetterCount() == 1);
    m.shutdown();

    var got = online.get(ref, drivers, now);
    assertThat(got.value(0, 0).value()).isEqualTo(1L);
    assertThat(got.value(1, 0).status()).isEqualTo(dev.quiver.online.FeatureStatus.NOT_FOUND);
    assertThat(got.value(2, 0).value()).isEqualTo(3L);
    assertThat(got.value(3, 0).status()).isEqualTo(dev.quiver.online.FeatureStatus.NOT_FOUND);
    assertThat(offlineRowCount(offline, view)).isEqualTo(2);
    assertThat(offlineRows(offline, view)).extracting(row -> row.split("/")[2]).containsExactlyInAnyOrder("2", "3");
  }
}
