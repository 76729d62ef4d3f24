package dev.quiver.materializer;

import static dev.quiver.materializer.Fixtures.apply;
import static dev.quiver.materializer.Fixtures.created;
import static dev.quiver.materializer.Fixtures.defs;
import static dev.quiver.materializer.Fixtures.expected;
import static dev.quiver.materializer.Fixtures.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quiver.materializer.internal.CrashPoint;
import dev.quiver.materializer.internal.Positions;
import dev.quiver.offline.CommittedFile;
import dev.quiver.offline.OfflineStore;
import dev.quiver.online.FeatureStatus;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.registry.RegistrySnapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults: a materializer in a child JVM is halted at the riskiest moments of its write path (data
 * files renamed into place but their commit record not yet written; a poll's online write done
 * but its offline flush not yet handed over), killed with SIGKILL mid-stream after a broker
 * restart, and each restart is checked to resume exactly where its predecessor's stores left off;
 * after a final run drains the topic, Parquet holds every event exactly once (every column) and
 * the online store the latest per entity, computed here by a plain sort. A reduced version of the
 * soak in {@code benchmarks/} (1M events, 10+ kills).
 */
class MaterializerCrashTest {
  static final int PHASE = 8_000;
  static final int PARTITIONS = 3;
  static final int DRIVERS = 1_000;
  static final Pattern OWNS = Pattern.compile(
      "owns (\\S+)-(\\d+) from offset (\\d+) \\(online next (\\d+), offline next \\{[^=]+=(\\d+)\\}\\)");

  @TempDir
  Path dir;

  @Test
  void shouldHoldEveryEventExactlyOnceWhenHaltedAtEachRiskyMomentAndResumeExactlyWhereTheStoresLeftOff()
      throws Exception {
    String view = "crash";
    RegistrySnapshot reg = apply(RegistrySnapshot.empty(), defs(view));
    FeatureViewVersion v1 = reg.currentVersion(view);
    Path online = dir.resolve("online");
    Path offline = dir.resolve("offline");
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().withDataDir(dir.resolve("kafka")).build().start()) {
      kafka.createTopic(Fixtures.topic(view), PARTITIONS);
      List<FeatureEvent> sent = new ArrayList<>();
      sent.addAll(produce(kafka, reg, v1, 0, PHASE));

      // 1. Halted with the second flush's data files in place and no commit record naming them.
      Process child = startChild(kafka, online, offline, view, false, 0,
          "-Dquiver.test.offline-crash-point=before-commit-record:2");
      assertExit(child, 0, 86);
      State s0 = state(online, offline, view);
      List<Path> orphans = uncommittedFiles(offline, reg, view);
      assertThat(orphans).as("data files of the halted flush").isNotEmpty();

      // 2. Halted after an online write whose events are not yet handed to the offline flush.
      sent.addAll(produce(kafka, reg, v1, PHASE, 2 * PHASE));
      child = startChild(kafka, online, offline, view, false, 1,
          "-D" + CrashPoint.PROPERTY + "=" + CrashPoint.AFTER_ONLINE_WRITE + ":2");
      assertExit(child, 1, CrashPoint.EXIT_CODE);
      assertResumedExactly(1, s0);
      assertThat(orphans).as("removed by the next writer's recovery").allSatisfy(p -> assertThat(p).doesNotExist());
      State s1 = state(online, offline, view);
      assertThat(s1.online.keySet()).anySatisfy(p -> assertThat(s1.online.get(p))
          .as("online ahead of offline on partition %d", p).isGreaterThan(s1.offline.get(p)));

      // 3. Killed with SIGKILL mid-stream, after the broker was restarted under it.
      sent.addAll(produce(kafka, reg, v1, 2 * PHASE, 3 * PHASE));
      child = startChild(kafka, online, offline, view, false, 2);
      long before = s1.offline.values().stream().mapToLong(Long::longValue).sum();
      await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> offlineProgress(offline, reg, view) > before);
      kafka.stop();
      kafka.start();
      sent.addAll(produce(kafka, reg, v1, 3 * PHASE, 4 * PHASE));
      long afterRestart = await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
          .until(() -> offlineProgress(offline, reg, view), x -> true);
      await().atMost(Duration.ofSeconds(90)).ignoreExceptions()
          .until(() -> offlineProgress(offline, reg, view) > afterRestart);
      child.destroyForcibly();
      assertExit(child, 2, 137);
      assertResumedExactly(2, s1);
      State s2 = state(online, offline, view);

      // 4. A child that drains the topic and exits cleanly.
      Process drain = startChild(kafka, online, offline, view, true, 99);
      assertExit(drain, 99, 0);
      if (Files.readString(log(99)).contains(" owns ")) {
        assertResumedExactly(99, s2);
      } else {
        assertThat(s2.online).as("nothing left to drain").allSatisfy((p, next) -> assertThat(Math.min(next,
            s2.offline.get(p))).isEqualTo(sent.stream().filter(e -> e.partition() == p).count()));
      }

      assertThat(sent).hasSize(4 * PHASE);
      assertThat(Fixtures.entitiesDecidedByCreatedTime(sent)).isPositive();
      try (OnlineStore on = OnlineStore.open(online, reg); OfflineStore off = OfflineStore.open(offline, reg)) {
        List<String> rows = Fixtures.offlineRows(off, view);
        assertThat(perPartition(rows)).isEqualTo(perPartition(Fixtures.rowsOf(sent)));
        assertThat(rows).hasSize(sent.size()).doesNotHaveDuplicates()
            .containsExactlyInAnyOrderElementsOf(Fixtures.rowsOf(sent));
        Fixtures.assertOnlineHoldsLatest(on, view, sent);
      }
    }
  }

  /**
   * A record is dead-lettered (its fingerprint unknown) and the materializer halted right after
   * the online write that passed it, before the offline side did; the fingerprint is then
   * registered and the materializer restarted. Both sinks must skip the record (its fate was
   * decided once) and the dead-letter topic must hold it once.
   */
  @Test
  void shouldKeepARecordDeadLetteredAcrossACrashEvenWhenItsFingerprintIsRegisteredBeforeTheRestart()
      throws Exception {
    String view = "dlcrash";
    RegistrySnapshot v1Only = MaterializerChild.registry(view, "v1");
    RegistrySnapshot withV2 = MaterializerChild.registry(view, "v2");
    Path online = dir.resolve("online");
    Path offline = dir.resolve("offline");
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().withDataDir(dir.resolve("kafka")).build().start()) {
      kafka.createTopic(Fixtures.topic(view), 1);
      kafka.createTopic(DeadLetters.DEFAULT_TOPIC, 1);
      // Offset 0: a record of version 2, which the first child's registry does not know.
      Map<String, Object> bad = row(0, DRIVERS);
      bad.put("driver_id", 999_999L);
      bad.put("acc_rate", 0.5);
      EventEncoder v2 = EventEncoder.of(withV2.version(view, 2));
      Properties pp = new Properties();
      pp.put("bootstrap.servers", kafka.bootstrapServers());
      try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer())) {
        assertThat(raw.send(new ProducerRecord<>(Fixtures.topic(view), 0, v2.key(bad), v2.value(bad))).get().offset())
            .isZero();
      }
      List<FeatureEvent> good = produce(kafka, withV2, v1Only.currentVersion(view), 1, 500);
      // The first poll's online write remembers the dead letter; the child halts before any offline flush.
      Process child = startChild(kafka, online, offline, view, false, 0, "v1",
          "-D" + CrashPoint.PROPERTY + "=" + CrashPoint.AFTER_ONLINE_WRITE + ":1");
      assertExit(child, 0, CrashPoint.EXIT_CODE);
      State s0 = state(online, offline, view);
      assertThat(s0.online.get(0)).isPositive();
      assertThat(s0.offline.get(0)).isZero();

      Process drain = startChild(kafka, online, offline, view, true, 1, "v2");
      assertExit(drain, 1, 0);
      assertResumedExactly(1, s0);

      List<ConsumerRecord<byte[], byte[]>> letters = readToEnd(kafka, DeadLetters.DEFAULT_TOPIC);
      assertThat(letters).hasSize(1);
      assertThat(new String(letters.get(0).headers().lastHeader(DeadLetters.SOURCE_OFFSET).value(),
          StandardCharsets.UTF_8)).isEqualTo("0");
      assertThat(new String(letters.get(0).headers().lastHeader(DeadLetters.ERROR_CLASS).value(),
          StandardCharsets.UTF_8)).isEqualTo(DeadLetters.Reason.UNKNOWN_FINGERPRINT.name());
      try (OnlineStore on = OnlineStore.open(online, withV2); OfflineStore off = OfflineStore.open(offline, withV2)) {
        assertThat(Fixtures.offlineRows(off, view)).containsExactlyInAnyOrderElementsOf(Fixtures.rowsOf(
            good.stream().map(e -> withNullAccRate(e)).toList()));
        assertThat(on.get(List.of(view + ":trips"), Map.of("driver_id", List.of(999_999L)), Instant.now())
            .value(0, 0).status()).isEqualTo(FeatureStatus.NOT_FOUND);
      }
    }
  }

  /**
   * Two bad records (one not decodable at all, one of a version the first child's registry does
   * not know) are dead-lettered and the materializer halted after the broker acknowledged the
   * dead letters but before the online write that remembers them; the second child knows the
   * version. The restart reads the letters back (from the dead-letter offsets recorded with the
   * positions): the dead-letter topic holds each record once and neither store has them.
   */
  @Test
  void shouldDeadLetterARecordOnceWhenHaltedBetweenTheDeadLetterFlushAndTheOnlineWriteThatRemembersIt()
      throws Exception {
    String view = "dlflush";
    RegistrySnapshot v1Only = MaterializerChild.registry(view, "v1");
    RegistrySnapshot withV2 = MaterializerChild.registry(view, "v2");
    Path online = dir.resolve("online");
    Path offline = dir.resolve("offline");
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().withDataDir(dir.resolve("kafka")).build().start()) {
      kafka.createTopic(Fixtures.topic(view), 1);
      kafka.createTopic(DeadLetters.DEFAULT_TOPIC, 1);
      Map<String, Object> bad = row(0, DRIVERS);
      bad.put("driver_id", 999_999L);
      bad.put("acc_rate", 0.5);
      EventEncoder v2 = EventEncoder.of(withV2.version(view, 2));
      Properties pp = new Properties();
      pp.put("bootstrap.servers", kafka.bootstrapServers());
      pp.put("linger.ms", "60000"); // both in one batch, so one poll decides both
      try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer())) {
        var garbage = raw.send(new ProducerRecord<>(Fixtures.topic(view), 0, v2.key(bad), new byte[] {1, 2, 3}));
        var unknown = raw.send(new ProducerRecord<>(Fixtures.topic(view), 0, v2.key(bad), v2.value(bad)));
        raw.flush();
        assertThat(garbage.get().offset()).isZero();
        assertThat(unknown.get().offset()).isOne();
      }
      List<FeatureEvent> good = produce(kafka, withV2, v1Only.currentVersion(view), 2, 500);
      Process child = startChild(kafka, online, offline, view, false, 0, "v1",
          "-D" + CrashPoint.PROPERTY + "=" + CrashPoint.AFTER_DEAD_LETTER_FLUSH + ":1");
      assertExit(child, 0, CrashPoint.EXIT_CODE);
      assertThat(sourceOffsets(readToEnd(kafka, DeadLetters.DEFAULT_TOPIC))).as("dead letters before the restart")
          .containsExactly("0", "1");
      State s0 = state(online, offline, view);
      assertThat(s0.online.get(0)).as("no online write passed the dead letters").isZero();
      assertThat(s0.offline.get(0)).isZero();

      Process drain = startChild(kafka, online, offline, view, true, 1, "v2");
      assertExit(drain, 1, 0);
      assertResumedExactly(1, s0);

      List<ConsumerRecord<byte[], byte[]>> letters = readToEnd(kafka, DeadLetters.DEFAULT_TOPIC);
      assertThat(sourceOffsets(letters)).as("dead letters after the restart").containsExactly("0", "1");
      assertThat(letters).extracting(l -> new String(l.headers().lastHeader(DeadLetters.ERROR_CLASS).value(),
          StandardCharsets.UTF_8)).containsExactly(DeadLetters.Reason.NOT_DECODABLE.name(),
          DeadLetters.Reason.UNKNOWN_FINGERPRINT.name());
      try (OnlineStore on = OnlineStore.open(online, withV2); OfflineStore off = OfflineStore.open(offline, withV2)) {
        assertThat(Fixtures.offlineRows(off, view)).containsExactlyInAnyOrderElementsOf(Fixtures.rowsOf(
            good.stream().map(e -> withNullAccRate(e)).toList()));
        assertThat(on.get(List.of(view + ":trips"), Map.of("driver_id", List.of(999_999L)), Instant.now())
            .value(0, 0).status()).isEqualTo(FeatureStatus.NOT_FOUND);
      }
    }
  }

  private static List<String> sourceOffsets(List<ConsumerRecord<byte[], byte[]>> letters) {
    return letters.stream().map(l -> new String(l.headers().lastHeader(DeadLetters.SOURCE_OFFSET).value(),
        StandardCharsets.UTF_8)).toList();
  }

  /** A v1 event as stored under v2: the same values and a null acc_rate. */
  private static FeatureEvent withNullAccRate(FeatureEvent e) {
    List<Object> values = new ArrayList<>(e.values());
    values.add(null);
    return new FeatureEvent(e.view(), 2, e.keys(), e.eventMicros(), e.createdMicros(), e.partition(), e.offset(), values);
  }

  /** Durable positions per partition: online next (online meta) and offline position (commit records). */
  record State(Map<Integer, Long> online, Map<Integer, Long> offline) {}

  private State state(Path online, Path offline, String view) {
    int partitions = view.startsWith("dl") ? 1 : PARTITIONS;
    Map<Integer, Long> on = new TreeMap<>();
    Map<Integer, Long> off = new TreeMap<>();
    RegistrySnapshot reg = MaterializerChild.registry(view, "v2");
    String topic = Fixtures.topic(view);
    try (OnlineStore o = OnlineStore.open(online, reg);
         OfflineStore f = OfflineStore.openReadOnly(offline, () -> reg)) {
      for (int p = 0; p < partitions; p++) {
        String key = Positions.metaKey("crash-group", topic, p);
        on.put(p, o.readMeta(key).map(b -> Positions.decode(key, b)).orElse(Positions.START).onlineNext());
        off.put(p, f.position(view, topic, p));
      }
    }
    return new State(on, off);
  }

  /** Each partition the child owned was sought to min(online next, offline position) of the state before it. */
  private void assertResumedExactly(int n, State before) throws Exception {
    Matcher m = OWNS.matcher(Files.readString(log(n)));
    Set<Integer> seen = new HashSet<>();
    while (m.find()) {
      int p = Integer.parseInt(m.group(2));
      System.out.println("child " + n + ": " + m.group());
      if (!seen.add(p)) {
        continue; // a later assignment in the same run (after the broker restart) starts from newer state
      }
      assertThat(Long.parseLong(m.group(4))).as("child %d: online next of partition %d", n, p)
          .isEqualTo(before.online.get(p));
      assertThat(Long.parseLong(m.group(5))).as("child %d: offline position of partition %d", n, p)
          .isEqualTo(before.offline.get(p));
      assertThat(Long.parseLong(m.group(3))).as("child %d: resume offset of partition %d", n, p)
          .isEqualTo(Math.min(before.online.get(p), before.offline.get(p)));
    }
    assertThat(seen).as("partitions child %d owned", n).containsExactlyInAnyOrderElementsOf(before.online.keySet());
  }

  private static long offlineProgress(Path offline, RegistrySnapshot reg, String view) {
    try (OfflineStore f = OfflineStore.openReadOnly(offline, () -> reg)) {
      long sum = 0;
      for (int p = 0; p < PARTITIONS; p++) {
        sum += f.position(view, Fixtures.topic(view), p);
      }
      return sum;
    }
  }

  /** Parquet files under the view that no commit record names. */
  private static List<Path> uncommittedFiles(Path offline, RegistrySnapshot reg, String view) throws Exception {
    Set<Path> named;
    try (OfflineStore f = OfflineStore.openReadOnly(offline, () -> reg)) {
      named = f.committedFiles(view).stream().map(CommittedFile::path).collect(Collectors.toSet());
    }
    try (Stream<Path> s = Files.walk(offline.resolve(view))) {
      return s.filter(p -> p.getFileName().toString().endsWith(".parquet") && !p.getFileName().toString().startsWith(".")
          && !named.contains(p)).toList();
    }
  }

  private static List<FeatureEvent> produce(EmbeddedKafka kafka, RegistrySnapshot reg, FeatureViewVersion v, long from,
                                            long to) {
    List<CompletableFuture<FeatureEvent>> futures = new ArrayList<>();
    try (FeatureProducer p = FeatureProducer.builder().withBootstrapServers(kafka.bootstrapServers())
        .withRegistry(reg).build()) {
      for (long i = from; i < to; i++) {
        Map<String, Object> r = row(i, DRIVERS);
        Instant c = created(i);
        futures.add(p.send(v, r, c).thenApply(s -> expected(v.view(), v, r, c, s.partition(), s.offset())));
      }
      p.flush();
    }
    return futures.stream().map(CompletableFuture::join).toList();
  }

  private static List<ConsumerRecord<byte[], byte[]>> readToEnd(EmbeddedKafka kafka, String topic) {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> tps = c.partitionsFor(topic).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> ends = c.endOffsets(tps);
      while (tps.stream().anyMatch(tp -> c.position(tp) < ends.get(tp))) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }

  /** partition -> "count=N checksum=X" (the checksum sums a hash of every row). */
  static Map<Integer, String> perPartition(List<String> rows) {
    Map<Integer, long[]> acc = new TreeMap<>();
    for (String r : rows) {
      long[] a = acc.computeIfAbsent(Integer.parseInt(r.substring(0, r.indexOf('/'))), k -> new long[2]);
      a[0]++;
      a[1] += r.hashCode() * 0x9E3779B97F4A7C15L;
    }
    return acc.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
        e -> "count=" + e.getValue()[0] + " checksum=" + Long.toHexString(e.getValue()[1]), (a, b) -> a, TreeMap::new));
  }

  private void assertExit(Process child, int n, int code) throws Exception {
    assertThat(child.waitFor(180, TimeUnit.SECONDS)).as("child %d ended in time, see %s", n, log(n)).isTrue();
    assertThat(child.exitValue()).as("exit of child %d: %s", n, Files.readString(log(n))).isEqualTo(code);
  }

  private Path log(int n) {
    return dir.resolve("child-" + n + ".log");
  }

  private Process startChild(EmbeddedKafka kafka, Path online, Path offline, String view, boolean drain, int n,
                             String... options) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx384m"));
    String registry = "v1";
    for (String o : options) {
      if (o.startsWith("-D")) {
        cmd.add(o);
      } else {
        registry = o;
      }
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), MaterializerChild.class.getName(),
        kafka.bootstrapServers(), "crash-group", online.toString(), offline.toString(), view,
        String.valueOf(view.startsWith("dl") ? 1 : PARTITIONS), String.valueOf(drain), registry));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log(n).toFile()).start();
  }
}
