package dev.quiver.online;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /health} with the parts a caller registers (e.g. the materializer) and
 * {@code GET /metrics} over a registry the caller shares, through a real server and Vert.x's client.
 */
class OnlineServerHealthTest {
  @TempDir
  Path dir;

  @Test
  void shouldReportEachPartAndAnswer503WhileOneIsDown() throws Exception {
    AtomicReference<ComponentHealth> feed = new AtomicReference<>(
        new ComponentHealth(ComponentHealth.Status.UP, null, Map.of("lag", 0L, "partitions", List.of("t-0"))));
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Counter.builder("quiver.feed.records").register(meters).increment(3);
    Vertx vertx = Vertx.vertx();
    WebClient http = WebClient.create(vertx);
    try (OnlineStore store = OnlineStore.open(dir, Fixtures.registry());
         OnlineServer server = OnlineServer.builder(store).withPort(0).withMeterRegistry(meters)
             .withHealthCheck("feed", feed::get)
             .withHealthCheck("broken", () -> {
               throw new IllegalStateException("no answer");
             }).start()) {
      String url = "http://127.0.0.1:" + server.port();
      HttpResponse<Buffer> r = get(http, url + "/health");
      // A check that throws counts as down.
      assertThat(r.statusCode()).isEqualTo(503);
      JsonObject body = r.bodyAsJsonObject();
      assertThat(body.getString("status")).isEqualTo("down");
      assertThat(body.getString("detail")).isEqualTo("broken: Cannot check broken: no answer");
      JsonObject part = body.getJsonObject("components").getJsonObject("feed");
      assertThat(part.getString("status")).isEqualTo("up");
      assertThat(part.getLong("lag")).isZero();
      assertThat(part.getJsonArray("partitions").getList()).containsExactly("t-0");

      String metrics = get(http, url + "/metrics").bodyAsString();
      assertThat(metrics).contains("quiver_feed_records_total 3.0").contains("quiver_http_requests_seconds_count");
    }
    try (OnlineStore store = OnlineStore.open(dir.resolve("second"), Fixtures.registry());
         OnlineServer server = OnlineServer.builder(store).withPort(0).withHealthCheck("feed", feed::get).start()) {
      String url = "http://127.0.0.1:" + server.port();
      feed.set(new ComponentHealth(ComponentHealth.Status.DEGRADED, "Cannot write to x: retrying", Map.of()));
      HttpResponse<Buffer> degraded = get(http, url + "/health");
      assertThat(degraded.statusCode()).isEqualTo(200);
      assertThat(degraded.bodyAsJsonObject().getString("status")).isEqualTo("degraded");
      assertThat(degraded.bodyAsJsonObject().getJsonObject("components").getJsonObject("feed").getString("detail"))
          .isEqualTo("Cannot write to x: retrying");
      feed.set(new ComponentHealth(ComponentHealth.Status.DOWN, "Cannot consume: fenced", Map.of()));
      HttpResponse<Buffer> down = get(http, url + "/health");
      assertThat(down.statusCode()).isEqualTo(503);
      assertThat(down.bodyAsJsonObject().getString("error")).isEqualTo("unavailable");
      assertThat(down.bodyAsJsonObject().getString("detail")).isEqualTo("feed: Cannot consume: fenced");
    } finally {
      http.close();
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      meters.close();
    }
  }

  private static HttpResponse<Buffer> get(WebClient http, String url) throws Exception {
    return http.getAbs(url).send().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
