package dev.quiver.online.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.HttpException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The error handler keeps a 4xx status a Vert.x handler assigned, over real HTTP. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ErrorHandlerTest {
  final ObjectMapper json = new ObjectMapper();
  final HttpClient http = HttpClient.newHttpClient();
  Vertx vertx;
  HttpServer server;

  @BeforeAll
  void start() throws Exception {
    vertx = Vertx.vertx();
    Router router = Router.router(vertx);
    ErrorHandler errors = new ErrorHandler(100);
    router.get("/http-exception-413").handler(ctx -> ctx.fail(new HttpException(413)));
    router.get("/http-exception-415").handler(ctx -> ctx.fail(new HttpException(415, "expected JSON")));
    router.get("/status-400-with-cause").handler(ctx -> ctx.fail(400, new IllegalStateException("bad form field")));
    router.get("/status-431").handler(ctx -> ctx.fail(431));
    router.get("/bug").handler(ctx -> ctx.fail(new IllegalStateException("a bug of ours")));
    router.route().failureHandler(errors);
    server = vertx.createHttpServer().requestHandler(router).listen(0)
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @AfterAll
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private JsonNode get(String path, int status) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path))
        .GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    JsonNode body = json.readTree(r.body());
    assertThat(body.get("detail").asText()).doesNotContain("\tat ", "Exception");
    return body;
  }

  @Test
  void shouldKeepTheStatusOfAnHttpException() throws Exception {
    assertThat(get("/http-exception-413", 413).get("error").asText()).isEqualTo("payload_too_large");
    assertThat(get("/http-exception-415", 415).get("detail").asText()).contains("expected JSON");
  }

  @Test
  void shouldKeepAnAssigned4xxStatusThatCameWithAnException() throws Exception {
    JsonNode body = get("/status-400-with-cause", 400);
    assertThat(body.get("error").asText()).isEqualTo("bad_request");
    assertThat(body.get("detail").asText()).isEqualTo("Cannot read request: bad form field");
    get("/status-431", 431);
  }

  @Test
  void shouldStillAnswer500WithoutDetailsForAFaultOfTheServer() throws Exception {
    JsonNode body = get("/bug", 500);
    assertThat(body.get("detail").asText()).doesNotContain("a bug of ours").contains("internal error");
  }
}
