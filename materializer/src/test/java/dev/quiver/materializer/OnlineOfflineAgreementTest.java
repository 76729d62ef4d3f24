package dev.quiver.materializer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.offline.OfflineStore;
import dev.quiver.offline.Spine;
import dev.quiver.offline.TrainingSetExport;
import dev.quiver.online.FeatureStatus;
import dev.quiver.online.FeatureValue;
import dev.quiver.online.OnlineFeatures;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.Definitions;
import dev.quiver.registry.Entity;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.registry.LocalFileRegistryStore;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import dev.quiver.registry.ValueType;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The promise, tried the hard way: what a model is served equals what it is trained on. Random
 * events (late ones, ties broken by created time and by offset, values outside the ttl, null
 * values, events dated a little ahead that are accepted and far ahead that are not, undecodable
 * records) stream through a materializer in a child JVM that is killed with SIGKILL three
 * times, while the view's INT32 feature is widened to INT64 and then its source moves to a new topic
 * whose offsets overlap the old one's. After a last materializer drains, at several times T the
 * online lookup equals the export at t = T for every entity: value, status and event time; both
 * equal an oracle computed here by a plain scan of what was sent; every bad record is dead-lettered
 * exactly once; a lookup and an export pinned to v1 agree on the unchanged feature and both refuse
 * the widened one.
 */
class OnlineOfflineAgreementTest {
  static final Duration SKEW = Duration.ofSeconds(30);
  static final String VIEW = "agree";
  static final String TOPIC_A = "agree.a";
  static final String TOPIC_B = "agree.b";
  static final String DLQ = "agree.dlq";
  static final String GROUP = "agree-group";
  static final Duration TTL = Duration.ofHours(1);
  static final int DRIVERS = 60;
  static final int PARTITIONS = 2;
  static final List<String> FEATURES = List.of("conv_rate", "trips", "note");

  @TempDir
  Path dir;

  /** One accepted event as the oracle sees it: ordered by (event, created, partition, offset). */
  record Sent(long driver, long eventMicros, long createdMicros, int partition, long offset, Float conv, Long trips,
              String note) {
    int compareTo(Sent o) {
      int c = Long.compare(eventMicros, o.eventMicros);
      if (c == 0) {
        c = Long.compare(createdMicros, o.createdMicros);
      }
      if (c == 0) {
        c = Integer.compare(partition, o.partition);
      }
      return c != 0 ? c : Long.compare(offset, o.offset);
    }
  }

  private final List<Sent> accepted = new ArrayList<>();
  private final Set<String> refused = new HashSet<>();
  private final Map<Long, List<Sent>> byDriver = new HashMap<>();

  @Test
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void shouldServeOnlineExactlyWhatTheExportGivesAtTheSameTimeThroughCrashesATopicChangeAndAWidening()
      throws Exception {
    long seed = Long.getLong("quiver.test.seed", System.nanoTime());
    Random random = new Random(seed);
    String why = "seed " + seed + " (re-run with -Dquiver.test.seed=" + seed + ")";
    Path registryFile = dir.resolve("registry.json");
    LocalFileRegistryStore registry = new LocalFileRegistryStore(registryFile);
    registry.commit(RegistrySnapshot.empty().withDefinitions(defs(TOPIC_A, ValueType.INT32), Instant.now(), "v1"));
    Path online = dir.resolve("online");
    Path offline = dir.resolve("offline");

    try (EmbeddedKafka kafka = EmbeddedKafka.builder().withDataDir(dir.resolve("kafka")).build().start();
         KafkaProducer<byte[], byte[]> producer = producer(kafka)) {
      kafka.createTopic(TOPIC_A, PARTITIONS);
      kafka.createTopic(TOPIC_B, PARTITIONS);
      kafka.createTopic(DLQ, 1);

      // Phase 1: v1 on topic a, a kill in the middle.
      Process child = startChild(kafka, registryFile, online, offline, 1);
      produce(producer, registry.load(), TOPIC_A, 600, random);
      awaitWrote(1);
      child = killAndRestart(child, kafka, registryFile, online, offline, 2, random);
      produce(producer, registry.load(), TOPIC_A, 600, random);

      // Phase 2: the INT32 feature widened to INT64 (v2), values beyond int range; a kill.
      registry.commit(registry.load().withDefinitions(defs(TOPIC_A, ValueType.INT64), Instant.now(), "v2"));
      assertThat(registry.load().currentVersion(VIEW).version()).isEqualTo(2);
      produce(producer, registry.load(), TOPIC_A, 600, random);
      awaitWrote(2);
      child = killAndRestart(child, kafka, registryFile, online, offline, 3, random);
      // Everything of topic a is stored before the source moves (what is left in an abandoned
      // topic is not this test's question).
      awaitOfflineRows(offline, registryFile, accepted.size(), why);

      // Phase 3: the source moves to topic b, whose offsets 0.. overlap those committed from a.
      registry.commit(registry.load().withDefinitions(defs(TOPIC_B, ValueType.INT64), Instant.now(), "topic b"));
      produce(producer, registry.load(), TOPIC_B, 900, random);
      awaitWrote(3);
      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(child.exitValue()).as("child 3 killed by SIGKILL").isEqualTo(137);

      // Events dated up to the skew ahead, sent last, so that some are still ahead when we look.
      produceAhead(producer, registry.load(), TOPIC_B, 20, random);

      // Phase 4: a last materializer, in this JVM, drains.
      AgreementChild.FileRegistry reg = new AgreementChild.FileRegistry(registryFile);
      try (OnlineStore on = OnlineStore.open(online, reg.get());
           OfflineStore off = OfflineStore.open(offline, reg)) {
        Materializer m = AgreementChild.start(kafka.bootstrapServers(), reg, on, off, GROUP, DLQ);
        try {
          long deadline = System.currentTimeMillis() + 120_000;
          while (Fixtures.offlineRowCount(off, VIEW) < accepted.size() && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
          }
        } finally {
          m.shutdown();
        }
        assertThat(m.failure()).isEmpty();
        assertThat(Fixtures.offlineRowCount(off, VIEW)).as("offline rows, " + why).isEqualTo(accepted.size());
        assertThat(offlineRows(off)).as("offline rows, " + why).containsExactlyInAnyOrderElementsOf(
            accepted.stream().map(a -> a.driver() + "/" + a.eventMicros() + "/" + a.createdMicros() + "/"
                + a.partition() + "/" + a.offset()).toList());

        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        assertAgreement(on, off, reg.get(), now, true, why + ", t = now = " + now);
        for (Instant t : List.of(now.plus(Duration.ofMinutes(20)), now.plus(Duration.ofMinutes(90)))) {
          assertAgreement(on, off, reg.get(), t, false, why + ", t = " + t);
        }
        assertPinnedLookups(on, off, reg.get(), now, why);
      }
      assertEveryBadRecordDeadLetteredOnce(kafka, why);
    }
  }

  // ----------------------------------------------------------------------------------- producing

  private void produce(KafkaProducer<byte[], byte[]> producer, RegistrySnapshot reg, String topic, int n, Random random)
      throws Exception {
    FeatureViewVersion v = reg.currentVersion(VIEW);
    EventEncoder enc = EventEncoder.of(v);
    boolean wide = v.feature("trips").orElseThrow().type() == ValueType.INT64;
    for (int i = 0; i < n; i++) {
      long driver = random.nextInt(DRIVERS);
      long sendMillis = System.currentTimeMillis();
      Instant sendTime = Instant.ofEpochMilli(sendMillis);
      int kind = random.nextInt(100);
      Instant event;
      List<Sent> mine = byDriver.getOrDefault(driver, List.of());
      if (kind < 8 && !mine.isEmpty()) {
        // a tie on event time with an earlier event of this driver (created time or offset decides)
        event = micros(mine.get(random.nextInt(mine.size())).eventMicros());
      } else if (kind < 14) {
        event = sendTime.plusMillis(500 + random.nextInt(28_000)); // ahead, within the skew: accepted
      } else if (kind < 17) {
        event = sendTime.plus(Duration.ofHours(2)); // far ahead: dead letter
      } else {
        event = sendTime.minusMillis((long) (random.nextDouble() * Duration.ofHours(3).toMillis())); // late, some past ttl
      }
      event = event.truncatedTo(ChronoUnit.MICROS);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("driver_id", driver);
      row.put("event_timestamp", event);
      Float conv = random.nextInt(10) == 0 ? null : random.nextInt(1000) / 1000f;
      Long trips = wide ? (long) Integer.MAX_VALUE + random.nextInt(1000) : (long) random.nextInt(1000);
      String note = random.nextInt(5) == 0 ? null : "n" + random.nextInt(50);
      row.put("conv_rate", conv);
      row.put("trips", wide ? (Object) trips : (Object) (int) (long) trips);
      row.put("note", note);
      byte[] value = enc.value(row);
      boolean garbage = kind >= 17 && kind < 19;
      if (garbage) {
        value = ("not an event " + i).getBytes(StandardCharsets.UTF_8);
      }
      ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(topic, null, sendMillis, enc.key(row), value);
      Long createdMicros = null;
      if (random.nextInt(10) < 6) {
        // created times on a coarse grid, so that equal event times often tie on them too
        Instant created = event.plusSeconds(60L * random.nextInt(3));
        if (created.isAfter(sendTime)) {
          created = sendTime;
        }
        created = created.truncatedTo(ChronoUnit.MICROS);
        rec.headers().add(EventEncoder.CREATED_TS_HEADER, ByteBuffer.allocate(8).putLong(toMicros(created)).array());
        createdMicros = toMicros(created);
      }
      RecordMetadata md = producer.send(rec).get();
      boolean farAhead = event.isAfter(sendTime.plus(SKEW));
      if (garbage || farAhead) {
        refused.add(topic + "/" + md.partition() + "/" + md.offset());
        continue;
      }
      // no created header: the record's own Kafka timestamp is the created time
      long created = createdMicros != null ? createdMicros : sendMillis * 1000L;
      Sent s = new Sent(driver, toMicros(event), created, md.partition(), md.offset(), conv, trips, note);
      accepted.add(s);
      byDriver.computeIfAbsent(driver, k -> new ArrayList<>()).add(s);
    }
  }

  /** n events of random drivers dated just under the skew ahead of their send time. */
  private void produceAhead(KafkaProducer<byte[], byte[]> producer, RegistrySnapshot reg, String topic, int n,
                            Random random) throws Exception {
    EventEncoder enc = EventEncoder.of(reg.currentVersion(VIEW));
    for (int i = 0; i < n; i++) {
      long driver = random.nextInt(DRIVERS);
      long sendMillis = System.currentTimeMillis();
      Instant event = Instant.ofEpochMilli(sendMillis).plus(SKEW).minusSeconds(1);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("driver_id", driver);
      row.put("event_timestamp", event);
      row.put("conv_rate", 0.5f);
      row.put("trips", 7L);
      row.put("note", "ahead");
      RecordMetadata md = producer.send(new ProducerRecord<>(topic, null, sendMillis, enc.key(row), enc.value(row))).get();
      Sent s = new Sent(driver, toMicros(event), sendMillis * 1000L, md.partition(), md.offset(), 0.5f, 7L, "ahead");
      accepted.add(s);
      byDriver.computeIfAbsent(driver, k -> new ArrayList<>()).add(s);
    }
  }

  // ------------------------------------------------------------------------------------- checks

  /** The oracle: the driver's event that supersedes all others among those at or before t. */
  private Sent best(long driver, Instant t) {
    long tm = t == Instant.MAX ? Long.MAX_VALUE : toMicros(t);
    Sent best = null;
    for (Sent s : byDriver.getOrDefault(driver, List.of())) {
      if (s.eventMicros() <= tm && (best == null || s.compareTo(best) > 0)) {
        best = s;
      }
    }
    return best;
  }

  private void assertAgreement(OnlineStore on, OfflineStore off, RegistrySnapshot reg, Instant t,
                               boolean requireEdgeCases, String why) throws Exception {
    List<Long> drivers = new ArrayList<>();
    for (long d = 0; d < DRIVERS; d++) {
      drivers.add(d);
    }
    List<String> refs = FEATURES.stream().map(f -> VIEW + ":" + f).toList();
    OnlineFeatures got = on.get(refs, Map.of("driver_id", drivers), t);
    List<List<Object>> exported = export(off, reg, refs, drivers, t);
    long ttlMicros = TTL.toNanos() / 1000;
    int present = 0;
    int outside = 0;
    int pending = 0;
    int tied = 0;
    for (int i = 0; i < drivers.size(); i++) {
      long d = drivers.get(i);
      Sent b = best(d, t);
      boolean inTtl = b != null && b.eventMicros() >= toMicros(t) - ttlMicros;
      List<Object> want = !inTtl ? java.util.Arrays.asList(null, null, null)
          : java.util.Arrays.asList(b.conv(), b.trips(), b.note());
      for (int f = 0; f < FEATURES.size(); f++) {
        String what = "driver " + d + " " + FEATURES.get(f) + ", " + why;
        FeatureValue v = got.value(i, f);
        FeatureStatus status = b == null ? FeatureStatus.NOT_FOUND : !inTtl ? FeatureStatus.OUTSIDE_MAX_AGE
            : want.get(f) == null ? FeatureStatus.NULL_VALUE : FeatureStatus.PRESENT;
        assertThat(v.status()).as("online status of " + what).isEqualTo(status);
        assertThat(number(v.value())).as("online value of " + what).isEqualTo(number(want.get(f)));
        if (inTtl) {
          assertThat(v.eventTime()).as("online event time of " + what).isEqualTo(micros(b.eventMicros()));
        }
        assertThat(number(exported.get(i).get(f))).as("exported value of " + what).isEqualTo(number(want.get(f)));
      }
      present += inTtl ? 1 : 0;
      outside += b != null && !inTtl ? 1 : 0;
      Sent newest = best(d, Instant.MAX);
      pending += newest != null && newest != b ? 1 : 0;
      tied += b != null && byDriver.get(d).stream().anyMatch(o -> o != b && o.eventMicros() == b.eventMicros()) ? 1 : 0;
    }
    // The data must exercise the cases: a comparison of nothing but NOT_FOUND proves nothing.
    assertThat(present + outside).as("drivers with a value or one outside the ttl, " + why).isPositive();
    if (requireEdgeCases) {
      assertThat(present).as("drivers with a value, " + why).isPositive();
      assertThat(pending).as("drivers with an accepted event still ahead of t, " + why).isPositive();
      assertThat(tied).as("drivers whose value at t won a tie on event time, " + why).isPositive();
    }
  }

  private void assertPinnedLookups(OnlineStore on, OfflineStore off, RegistrySnapshot reg, Instant t, String why)
      throws Exception {
    List<Long> drivers = List.of(0L, 1L, 2L, 3L);
    OnlineFeatures pinned = on.get(List.of(VIEW + "@v1:conv_rate"), Map.of("driver_id", drivers), t);
    OnlineFeatures current = on.get(List.of(VIEW + ":conv_rate"), Map.of("driver_id", drivers), t);
    List<List<Object>> pinnedExport = export(off, reg, List.of(VIEW + "@v1:conv_rate"), drivers, t);
    for (int i = 0; i < drivers.size(); i++) {
      assertThat(pinned.value(i, 0)).as("pinned v1 conv_rate online, " + why).isEqualTo(current.value(i, 0));
      assertThat(number(pinnedExport.get(i).get(0))).as("pinned v1 conv_rate exported, " + why)
          .isEqualTo(number(current.value(i, 0).value()));
    }
    // v1 held trips as INT32; v2 widened it. Both sides refuse it the same way.
    assertThatThrownBy(() -> on.get(List.of(VIEW + "@v1:trips"), Map.of("driver_id", drivers), t))
        .hasMessageContaining("v1").hasMessageContaining("trips");
    assertThatThrownBy(() -> export(off, reg, List.of(VIEW + "@v1:trips"), drivers, t))
        .hasMessageContaining("v1").hasMessageContaining("trips");
  }

  /** The export at t = T of every driver, read back by DuckDB, in spine order. */
  private List<List<Object>> export(OfflineStore off, RegistrySnapshot reg, List<String> refs, List<Long> drivers,
                                    Instant t) throws Exception {
    Spine.Builder spine = Spine.builder().withColumn("driver_id", ValueType.INT64)
        .withColumn("event_timestamp", ValueType.TIMESTAMP);
    for (long d : drivers) {
      spine.addRow(d, t);
    }
    Path out = Files.createTempFile(dir, "export-", ".parquet");
    TrainingSetExport.builder(reg).withStore(off).withSpine(spine.build()).withFeatures(refs).withOutput(out)
        .withManifest(false).withTempDir(dir).build().run();
    List<List<Object>> rows = new ArrayList<>();
    List<String> cols = refs.stream().map(r -> r.substring(r.indexOf(':') + 1)).toList();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
         Statement s = c.createStatement();
         ResultSet r = s.executeQuery("SELECT driver_id, " + String.join(", ", cols) + " FROM read_parquet('"
             + out + "')")) {
      int i = 0;
      while (r.next()) {
        assertThat(r.getLong(1)).as("spine order").isEqualTo(drivers.get(i++));
        List<Object> row = new ArrayList<>();
        for (int k = 0; k < cols.size(); k++) {
          row.add(r.getObject(k + 2));
        }
        rows.add(row);
      }
      assertThat(i).isEqualTo(drivers.size());
    }
    return rows;
  }

  /** (driver, event, created, partition, offset) of every committed offline row, read by DuckDB. */
  private static List<String> offlineRows(OfflineStore off) throws Exception {
    List<String> files = off.committedFiles(VIEW).stream().map(f -> "'" + f.path() + "'").toList();
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
         Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT driver_id, epoch_us(event_timestamp), epoch_us(created_timestamp), "
             + "_partition, _offset FROM read_parquet([" + String.join(",", files) + "], union_by_name=true)")) {
      while (rs.next()) {
        out.add(rs.getLong(1) + "/" + rs.getLong(2) + "/" + rs.getLong(3) + "/" + rs.getInt(4) + "/" + rs.getLong(5));
      }
    }
    return out;
  }

  private void assertEveryBadRecordDeadLetteredOnce(EmbeddedKafka kafka, String why) {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("group.id", "agree-dlq-reader");
    p.put("auto.offset.reset", "earliest");
    List<String> letters = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(DLQ));
      long deadline = System.currentTimeMillis() + 30_000;
      long quietUntil = 0;
      while (System.currentTimeMillis() < deadline && (letters.size() < refused.size()
          || System.currentTimeMillis() < quietUntil)) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          letters.add(header(r, DeadLetters.SOURCE_TOPIC) + "/" + header(r, DeadLetters.SOURCE_PARTITION) + "/"
              + header(r, DeadLetters.SOURCE_OFFSET));
        }
        if (letters.size() >= refused.size() && quietUntil == 0) {
          quietUntil = System.currentTimeMillis() + 1_000; // a duplicate would arrive now
        }
      }
    }
    assertThat(refused).as("the data has bad records, " + why).isNotEmpty();
    assertThat(letters).as("dead letters, " + why).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(refused);
  }

  // ------------------------------------------------------------------------------------ plumbing

  static Definitions defs(String topic, ValueType tripsType) {
    return Definitions.builder()
        .withEntity(Entity.builder("driver").withJoinKey("driver_id", ValueType.INT64).build())
        .withSource(Source.kafka("agree_events", topic))
        .withView(FeatureView.builder(VIEW).withEntity("driver").withSource("agree_events").withTtl(TTL)
            .withFeature("conv_rate", ValueType.FLOAT32)
            .withFeature("trips", tripsType)
            .withFeature("note", ValueType.STRING)
            .build())
        .build();
  }

  private Process killAndRestart(Process child, EmbeddedKafka kafka, Path registryFile, Path online, Path offline,
                                 int next, Random random) throws Exception {
    Thread.sleep(random.nextInt(400));
    child.destroyForcibly();
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(child.exitValue()).as("child %d killed by SIGKILL", next - 1).isEqualTo(137);
    return startChild(kafka, registryFile, online, offline, next);
  }

  private Process startChild(EmbeddedKafka kafka, Path registryFile, Path online, Path offline, int n)
      throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-Xmx384m", "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"), AgreementChild.class.getName(), kafka.bootstrapServers(),
        registryFile.toString(), online.toString(), offline.toString(), GROUP, DLQ)
        .redirectErrorStream(true).redirectOutput(log(n).toFile()).start();
  }

  /** Waits until child n wrote to its stores (JVM start, joining and the first write take a while). */
  private void awaitWrote(int n) throws Exception {
    long deadline = System.currentTimeMillis() + 90_000;
    while (System.currentTimeMillis() < deadline) {
      if (Files.exists(log(n)) && Files.readString(log(n)).contains("Wrote ")) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("child " + n + " wrote nothing in 90 s: " + Files.readString(log(n)));
  }

  private void awaitOfflineRows(Path offline, Path registryFile, long rows, String why) throws Exception {
    long deadline = System.currentTimeMillis() + 120_000;
    long seen = -1;
    while (System.currentTimeMillis() < deadline) {
      try (OfflineStore reader = OfflineStore.openReadOnly(offline, new AgreementChild.FileRegistry(registryFile))) {
        seen = Fixtures.offlineRowCount(reader, VIEW);
      }
      if (seen >= rows) {
        return;
      }
      Thread.sleep(300);
    }
    throw new AssertionError("offline store has " + seen + " of " + rows + " rows after 120 s, " + why);
  }

  private Path log(int n) {
    return dir.resolve("child-" + n + ".log");
  }

  private static KafkaProducer<byte[], byte[]> producer(EmbeddedKafka kafka) {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("linger.ms", "0");
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  /** Numbers compared by value whatever their boxed type (INT32 read back as Integer, INT64 as Long). */
  private static Object number(Object o) {
    if (o instanceof Float f) {
      return (double) f;
    }
    if (o instanceof Integer i) {
      return (long) i;
    }
    return o;
  }

  private static long toMicros(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
  }

  private static Instant micros(long m) {
    return Instant.EPOCH.plus(m, ChronoUnit.MICROS);
  }
}
