package dev.quiver.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quiver.materializer.DeadLetters;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /health} and {@code GET /metrics} of a real {@code serve} (embedded broker, both
 * stores, HTTP), over HTTP: the materializer's state, lag and dead letters in the health report,
 * its meters next to the HTTP ones, and a 503 naming why once the materializer has failed.
 */
class ServeHealthTest {
  static final String VIEW = "driver_hourly_stats";

  @TempDir
  Path repo;

  private Vertx vertx;
  private WebClient http;

  @BeforeEach
  void client() {
    vertx = Vertx.vertx();
    http = WebClient.create(vertx);
  }

  @AfterEach
  void closeClient() throws Exception {
    http.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void shouldReportTheMaterializerInHealthAndItsMetersInMetricsAnd503OnceItFailed() throws Exception {
    assertThat(EndToEndTest.cli("init", repo.toString()).code()).isZero();
    assertThat(EndToEndTest.cli("apply", "-r", repo.toString()).code()).isZero();
    QuiverConfig config = QuiverConfig.load(repo).withServerPort(0);
    try (FeatureStore store = FeatureStore.open(config)) {
      FeatureServer server = store.serve();
      String url = server.url();
      // The dead-letter topic exists before any record was dead-lettered.
      try (Admin admin = Admin.create(props(server))) {
        assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains(DeadLetters.DEFAULT_TOPIC);
      }
      await().atMost(Duration.ofSeconds(60)).until(() ->
          materializer(get(url + "/health").bodyAsJsonObject()).getJsonArray("partitions").size() == 3);
      HttpResponse<Buffer> health = get(url + "/health");
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.bodyAsJsonObject().getString("status")).isEqualTo("ok");
      assertThat(materializer(health.bodyAsJsonObject()).getString("status")).isEqualTo("up");
      assertThat(materializer(health.bodyAsJsonObject()).getString("state")).isEqualTo("running");

      // One good row through /push, one record that cannot be decoded straight to the topic.
      HttpResponse<Buffer> pushed = http.postAbs(url + "/push").putHeader("content-type", "application/json")
          .sendBuffer(Buffer.buffer("{\"feature_view\": \"" + VIEW + "\", \"to\": \"online_and_offline\", \"df\": "
              + "{\"driver_id\": [1001], \"event_timestamp\": [\"" + Instant.now() + "\"], \"conv_rate\": [0.5], "
              + "\"acc_rate\": [0.25], \"avg_daily_trips\": [7]}}"))
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertThat(pushed.statusCode()).as(pushed.bodyAsString()).isEqualTo(200);
      try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(props(server), new ByteArraySerializer(),
          new ByteArraySerializer())) {
        raw.send(new ProducerRecord<>("quiver." + VIEW, "x".getBytes(StandardCharsets.UTF_8),
            "not an event".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        JsonObject m = materializer(get(url + "/health").bodyAsJsonObject());
        return m.getLong("dead_letters") == 1 && m.getLong("lag") == 0;
      });
      // The offline flush (flush_age of the repo) shows as a flush timer.
      await().atMost(Duration.ofSeconds(60)).until(() -> get(url + "/metrics").bodyAsString()
          .contains("quiver_materializer_flush_seconds_count{view=\"" + VIEW + "\"}"));
      String metrics = get(url + "/metrics").bodyAsString();
      assertThat(metrics)
          .contains("quiver_http_requests_seconds_count{endpoint=\"/push\",status=\"200\"}")
          .contains("quiver_materializer_records_total{view=\"" + VIEW + "\"} 1.0")
          .contains("quiver_materializer_dead_letters_total{reason=\"NOT_DECODABLE\"} 1.0")
          .containsPattern("quiver_materializer_lag\\{partition=\"\\d\",topic=\"quiver\\." + VIEW + "\"\\} 0\\.0")
          .contains("quiver_materializer_freshness_seconds{view=\"" + VIEW + "\"}")
          .contains("quiver_materializer_online_write_seconds_count")
          .contains("quiver_materializer_retrying 0.0");

      // Another consumer takes over the server's static member id: the server's materializer is
      // fenced and stops; /health says so with a 503.
      Properties c = props(server);
      c.put("group.id", config.groupId());
      c.put("group.instance.id", FeatureServer.instanceId(config));
      try (KafkaConsumer<byte[], byte[]> usurper = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
          new ByteArrayDeserializer())) {
        usurper.subscribe(List.of("quiver." + VIEW));
        await().atMost(Duration.ofSeconds(90)).until(() -> {
          usurper.poll(Duration.ofMillis(200));
          return get(url + "/health").statusCode() == 503;
        });
      }
      JsonObject down = get(url + "/health").bodyAsJsonObject();
      assertThat(down.getString("status")).isEqualTo("down");
      assertThat(down.getString("error")).isEqualTo("unavailable");
      assertThat(down.getString("detail")).startsWith("materializer: Cannot consume as member "
          + FeatureServer.instanceId(config) + " of group " + config.groupId() + ": another consumer joined");
      assertThat(materializer(down).getString("status")).isEqualTo("down");
      assertThat(materializer(down).getString("state")).isEqualTo("failed");
      assertThat(server.isMaterializing()).isFalse();
    }
  }

  private static JsonObject materializer(JsonObject health) {
    return health.getJsonObject("components").getJsonObject("materializer");
  }

  private HttpResponse<Buffer> get(String url) throws Exception {
    return http.getAbs(url).send().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static Properties props(FeatureServer server) {
    Properties p = new Properties();
    p.put("bootstrap.servers", server.bootstrapServers());
    return p;
  }
}
