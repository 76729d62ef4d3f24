package dev.quiver.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quiver.materializer.DeadLetters;
import dev.quiver.materializer.EventEncoder;
import dev.quiver.online.PushTarget;
import dev.quiver.sdk.internal.PushProducer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code POST /push} against a real {@code serve} (embedded broker, materializer, HTTP), with
 * bodies sent as curl's {@code -d} sends them: every row the materializer would reject is refused
 * with a 4xx naming the row and column before anything is produced, and the allowed future skew of
 * {@code quiver.yaml} reaches the materializer.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PushOverHttpTest {
  private static final String VIEW = "driver_hourly_stats";
  private static final String TOPIC = "quiver.driver_hourly_stats";
  private static final String FORM = "application/x-www-form-urlencoded";
  private static final ObjectMapper JSON = new ObjectMapper();

  Path repo;
  FeatureStore store;
  FeatureServer server;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  void serve() throws Exception {
    repo = Files.createTempDirectory("push-over-http").resolve("demo");
    assertThat(EndToEndTest.cli("init", repo.toString()).code()).isZero();
    Path settings = repo.resolve("quiver.yaml");
    Files.writeString(settings, Files.readString(settings).replace("port: 6566", "port: 0"));
    Files.writeString(repo.resolve("sides.yaml"), String.join("\n",
        "sources:",
        "  - {name: trips_stream, kafka: {}, timestamp_field: event_timestamp}",
        "feature_views:",
        "  - {name: trips_offline_only, entities: [driver], source: trips_stream, online: false,",
        "     features: [{name: trips, type: INT64}]}",
        "  - {name: trips_online_only, entities: [driver], source: trips_stream, offline: false,",
        "     features: [{name: trips, type: INT64}]}",
        ""));
    assertThat(EndToEndTest.cli("apply", "-r", repo.toString()).code()).isZero();
    store = FeatureStore.open(repo);
    server = store.serve();
  }

  @AfterAll
  void stop() throws Exception {
    store.close();
    try (var paths = Files.walk(repo.getParent())) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  record Reply(int status, JsonNode body) {
    String detail() {
      return body.path("detail").asText();
    }
  }

  private Reply push(String body) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/push"))
        .header("content-type", FORM).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    assertThat(r.headers().firstValue("content-type")).as(r.body()).hasValueSatisfying(
        ct -> assertThat(ct).startsWith("application/json"));
    return new Reply(r.statusCode(), JSON.readTree(r.body()));
  }

  private static String df(String view, String to, String columns) {
    return "{\"feature_view\": \"" + view + "\"" + (to == null ? "" : ", \"to\": \"" + to + "\"")
        + ", \"df\": {" + columns + "}}";
  }

  private static String now(long plusSeconds) {
    return "\"" + Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(plusSeconds) + "\"";
  }

  private long endOffsets(String topic) {
    try (KafkaConsumer<byte[], byte[]> c = consumer()) {
      List<TopicPartition> parts = new ArrayList<>();
      c.partitionsFor(topic).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
      return c.endOffsets(parts).values().stream().mapToLong(Long::longValue).sum();
    }
  }

  private KafkaConsumer<byte[], byte[]> consumer() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, server.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "push-over-http-" + UUID.randomUUID());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  @Test
  void shouldRefuseAPushWithAFutureRowWholeNamingTheRowAndColumn() throws Exception {
    long before = endOffsets(TOPIC);
    Reply r = push(df(VIEW, "online_and_offline",
        "\"driver_id\": [9001, 9002], \"event_timestamp\": [" + now(-60) + ", " + now(3600) + "], \"conv_rate\": [0.5, 0.9]"));
    assertThat(r.status()).as(r.body().toString()).isEqualTo(400);
    assertThat(r.detail()).startsWith("Cannot push row 1 to feature view driver_hourly_stats: column event_timestamp: ")
        .contains("is more than 5s ahead of now", "materializer.max_future_skew is 5s");
    assertThat(endOffsets(TOPIC)).as("nothing produced, not even the good row 0").isEqualTo(before);
  }

  @Test
  void shouldRefuseTimesTheMaterializerWouldDeadLetterOrCannotHold() throws Exception {
    Map<String, String> refused = Map.of(
        "1714557600000", "column event_timestamp: bare number 1714557600000 is not a time: give ISO-8601 text",
        "99999999999999999", "column event_timestamp: bare number 99999999999999999 is not a time",
        "\"+300000-01-01T00:00:00Z\"", "column event_timestamp: timestamp \"+300000-01-01T00:00:00Z\" is outside "
            + "the range of microsecond timestamps",
        "\"1969-07-20T20:17:00Z\"", "column event_timestamp: 1969-07-20T20:17:00Z is before 1970-01-01T00:00:00Z");
    long before = endOffsets(TOPIC);
    for (var e : refused.entrySet()) {
      Reply r = push(df(VIEW, null, "\"driver_id\": [9003], \"event_timestamp\": [" + e.getKey() + "]"));
      assertThat(r.status()).as(e.getKey() + " -> " + r.body()).isEqualTo(400);
      assertThat(r.detail()).startsWith("Cannot push row 0 to feature view driver_hourly_stats: " + e.getValue());
    }
    assertThat(endOffsets(TOPIC)).isEqualTo(before);
  }

  @Test
  void shouldRefuseAPushToASideTheViewDoesNotKeep() throws Exception {
    String row = "\"driver_id\": [1001], \"event_timestamp\": [" + now(-1) + "], \"trips\": [3]";
    Reply online = push(df("trips_offline_only", "online", row));
    assertThat(online.status()).isEqualTo(400);
    assertThat(online.detail()).isEqualTo("Cannot push to feature view trips_offline_only: to online, but the view "
        + "is not stored online (online: false); push to offline");
    Reply byDefault = push(df("trips_offline_only", null, row));
    assertThat(byDefault.status()).as("no \"to\" means online, as in Feast").isEqualTo(400);
    Reply offline = push(df("trips_online_only", "offline", row));
    assertThat(offline.status()).isEqualTo(400);
    assertThat(offline.detail()).contains("to offline, but the view is not stored offline (offline: false)");
    Reply both = push(df("trips_offline_only", "online_and_offline", row));
    assertThat(both.status()).as(both.body().toString()).isEqualTo(200);
  }

  @Test
  void shouldAnswerEveryMistypedRowWithA4xxNamingItsColumn() throws Exception {
    String ts = "\"event_timestamp\": [" + now(-1) + "]";
    Map<String, String> bodies = new java.util.LinkedHashMap<>();
    bodies.put("\"driver_id\": [\"x\"], " + ts, "driver_id");
    bodies.put("\"driver_id\": [1.5], " + ts, "driver_id");
    bodies.put("\"driver_id\": [true], " + ts, "driver_id");
    bodies.put("\"driver_id\": [null], " + ts, "driver_id");
    bodies.put("\"driver_id\": [[1]], " + ts, "driver_id");
    bodies.put("\"driver_id\": [1e400], " + ts, "driver_id");
    bodies.put("\"driver_id\": [1], \"event_timestamp\": [true]", "event_timestamp");
    bodies.put("\"driver_id\": [1], \"event_timestamp\": [null]", "event_timestamp");
    bodies.put("\"driver_id\": [1], \"event_timestamp\": [\"\"]", "event_timestamp");
    bodies.put("\"driver_id\": [1], \"event_timestamp\": [\"2024-13-01T00:00:00Z\"]", "event_timestamp");
    bodies.put("\"driver_id\": [1], \"event_timestamp\": [1.5]", "event_timestamp");
    bodies.put("\"driver_id\": [1], \"event_timestamp\": [[\"2024-05-01T00:00:00Z\"]]", "event_timestamp");
    bodies.put("\"driver_id\": [1], " + ts + ", \"conv_rate\": [\"fast\"]", "conv_rate");
    bodies.put("\"driver_id\": [1], " + ts + ", \"conv_rate\": [true]", "conv_rate");
    bodies.put("\"driver_id\": [1], " + ts + ", \"conv_rate\": [[0.5]]", "conv_rate");
    bodies.put("\"driver_id\": [1], " + ts + ", \"avg_daily_trips\": [1e30]", "avg_daily_trips");
    bodies.put("\"driver_id\": [1], " + ts + ", \"avg_daily_trips\": [99999999999999999999]", "avg_daily_trips");
    bodies.put("\"driver_id\": [1], " + ts + ", \"speed\": [3]", "speed");
    long before = endOffsets(TOPIC);
    for (var e : bodies.entrySet()) {
      Reply r = push(df(VIEW, "online_and_offline", e.getKey()));
      assertThat(r.status()).as(e.getKey() + " -> " + r.body()).isEqualTo(400);
      assertThat(r.detail()).as(e.getKey()).startsWith("Cannot ").contains(e.getValue())
          .doesNotContain("Exception", "\tat ");
    }
    assertThat(endOffsets(TOPIC)).isEqualTo(before);
  }

  @Test
  void shouldDeadLetterBeyondTheSkewOfTheSettingsInTheMaterializer() throws Exception {
    // straight to Kafka, past the push's own check: the materializer applies the same 5 s
    Instant ahead = Instant.now().plusSeconds(120).truncatedTo(ChronoUnit.SECONDS);
    EventEncoder enc = EventEncoder.of(store.registry(), VIEW);
    Map<String, Object> row = Map.of("driver_id", 9100L, "event_timestamp", ahead, "conv_rate", 0.9f);
    try (PushProducer producer = new PushProducer(server.bootstrapServers())) {
      producer.sendAll(List.of(new PushProducer.Encoded(TOPIC, enc.key(row), enc.value(row))),
          PushTarget.ONLINE_AND_OFFLINE);
    }
    try (KafkaConsumer<byte[], byte[]> c = consumer()) {
      c.subscribe(List.of(DeadLetters.DEFAULT_TOPIC));
      List<String> reasons = new ArrayList<>();
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          Header h = r.headers().lastHeader(DeadLetters.ERROR_MESSAGE);
          Header why = r.headers().lastHeader(DeadLetters.ERROR_CLASS);
          if (h != null && why != null) {
            reasons.add(new String(why.value(), StandardCharsets.UTF_8) + ": " + new String(h.value(), StandardCharsets.UTF_8));
          }
        }
        return !reasons.isEmpty();
      });
      assertThat(reasons.get(0)).startsWith(DeadLetters.Reason.TIMESTAMP_OUT_OF_RANGE.name());
    }
  }
}
