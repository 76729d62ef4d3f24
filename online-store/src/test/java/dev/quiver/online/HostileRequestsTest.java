package dev.quiver.online;

import static dev.quiver.online.Fixtures.T0;
import static dev.quiver.online.Fixtures.driver;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quiver.registry.FeatureEvent;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Requests a hostile or careless client sends, against a real server over real HTTP: every one
 * gets a 4xx with a JSON body naming the problem, none a 500. Bodies are sent the way curl's
 * {@code -d} sends them, as {@code application/x-www-form-urlencoded}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileRequestsTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String FORM = "application/x-www-form-urlencoded";
  static final int MAX_BODY = 64 * 1024;

  Path dir;
  OnlineStore store;
  OnlineServer server;
  final List<PushRequest> pushed = new CopyOnWriteArrayList<>();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  void start() throws IOException {
    dir = Files.createTempDirectory("hostile-requests");
    store = OnlineStore.open(dir, Fixtures.registry());
    store.write(List.of(driver(1001, T0, FeatureEvent.NO_CREATED_TIME, 1, 0.5f, null, 7L)), Map.of());
    server = OnlineServer.builder(store).withPort(0).withClock(Clock.fixed(T0.plusSeconds(60), ZoneOffset.UTC))
        .withMaxBodyBytes(MAX_BODY).withPushHandler(pushed::add).start();
  }

  @AfterAll
  void stop() throws IOException {
    server.close();
    store.close();
    try (var paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  record Reply(int status, JsonNode body, String text) {}

  Reply post(String path, String contentType, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      b.header("content-type", contentType);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    String ct = r.headers().firstValue("content-type").orElse("");
    return new Reply(r.statusCode(), ct.startsWith("application/json") ? JSON.readTree(r.body()) : null, r.body());
  }

  private static void assertClientError(Reply r, int status, String... detailParts) {
    assertThat(r.status()).as(r.text()).isEqualTo(status);
    assertThat(r.body()).as(r.text()).isNotNull();
    assertThat(r.body().get("error").isTextual()).isTrue();
    assertThat(r.body().get("detail").asText()).contains("Cannot ").doesNotContain("\tat ", "Exception");
    for (String part : detailParts) {
      assertThat(r.body().get("detail").asText()).contains(part);
    }
  }

  /** A JSON body padded with whitespace to at least {@code bytes} bytes. */
  private static String padded(String json, int bytes) {
    return json + " ".repeat(Math.max(0, bytes - json.length()));
  }

  @Test
  void shouldRefuseAVersionNumberBeyondIntRangeWith400() throws Exception {
    Reply r = post("/get-online-features", FORM,
        "{\"features\": [\"driver_hourly_stats@v99999999999:conv_rate\"], \"entities\": {\"driver_id\": [1001]}}");
    assertClientError(r, 400, "features[0]", "driver_hourly_stats@v99999999999:conv_rate", "99999999999");
  }

  @Test
  void shouldReadA20KbJsonLookupSentWithCurlsDefaultContentType() throws Exception {
    Reply r = post("/get-online-features", FORM, padded(
        "{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": [1001]}}", 20 * 1024));
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    assertThat(r.body().at("/results/1/values/0").asDouble()).isEqualTo(0.5);
  }

  @Test
  void shouldReadA20KbJsonPushSentWithCurlsDefaultContentType() throws Exception {
    List<Long> ids = new ArrayList<>();
    for (long i = 0; i < 2_000; i++) {
      ids.add(1_000_000 + i);
    }
    String body = "{\"feature_view\": \"driver_hourly_stats\", \"df\": {\"driver_id\": " + ids + "}}";
    assertThat(body.length()).isGreaterThan(16 * 1024);
    pushed.clear();
    Reply r = post("/push", FORM, body);
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    assertThat(pushed).hasSize(1);
    assertThat(pushed.get(0).rowCount()).isEqualTo(2_000);
  }

  @Test
  void shouldReadA20KbJsonBodyFromCurlItself() throws Exception {
    assumeTrue(onPath("curl"), "curl is not installed");
    Path file = Files.createTempFile(dir, "lookup", ".json");
    Files.writeString(file, padded(
        "{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": [1001]}}", 20 * 1024));
    Process p = new ProcessBuilder("curl", "-s", "-w", "\n%{http_code}", "http://127.0.0.1:" + server.port()
        + "/get-online-features", "-d", "@" + file).redirectErrorStream(true).start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String[] out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n");
    assertThat(out[out.length - 1]).as(String.join("\n", out)).isEqualTo("200");
    assertThat(JSON.readTree(out[0]).at("/results/1/values/0").asDouble()).isEqualTo(0.5);
  }

  @Test
  void shouldAnswer413ForAFormEncodedBodyOverTheLimit() throws Exception {
    assertClientError(post("/push", FORM, padded("{}", MAX_BODY + 1)), 413, "larger than the limit of " + MAX_BODY);
    assertClientError(post("/get-online-features", null, padded("{}", MAX_BODY + 1)), 413, "larger than the limit");
  }

  @Test
  void shouldAnswerEveryMalformedOrMistypedBodyWith400() throws Exception {
    String deep = "[".repeat(5_000) + "]".repeat(5_000);
    String hugeInt = "9".repeat(5_000);
    List<String> lookups = List.of(
        "",
        "   ",
        "null",
        "[]",
        "\"features\"",
        "12",
        "{\"features\": " + deep + ", \"entities\": {\"driver_id\": [1]}}",
        "{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": " + deep + "}}",
        "{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": [" + hugeInt + "]}}",
        "{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": [1e99999]}}",
        "{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": [18446744073709551616]}}",
        "{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": [true]}}",
        "{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": [1.5]}}",
        "{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": [null]}}",
        "{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": [[1]]}}",
        "{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": 1}}",
        "{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {}}",
        "{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": []}",
        "{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": [1]}, \"full_feature_names\": 1}",
        "{\"features\": [\"driver_hourly_stats@v0:conv_rate\"], \"entities\": {\"driver_id\": [1]}}",
        "{\"features\": [\"driver_hourly_stats@v-1:conv_rate\"], \"entities\": {\"driver_id\": [1]}}",
        "{\"features\": [\"driver_hourly_stats@v" + hugeInt + ":conv_rate\"], \"entities\": {\"driver_id\": [1]}}",
        "{\"features\": [\"\"], \"entities\": {\"driver_id\": [1]}}",
        "{\"features\": [{}], \"entities\": {\"driver_id\": [1]}}",
        "{\"features\": {}, \"entities\": {\"driver_id\": [1]}}",
        "{\"feature_service\": 7, \"entities\": {\"driver_id\": [1]}}",
        "{\"feature_service\": [], \"entities\": {\"driver_id\": [1]}}",
        "{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": [1]}} trailing",
        "{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": [\"\\ud800\"]}}",
        "\u0000\u0001\u0002");
    for (String body : lookups) {
      Reply r = post("/get-online-features", FORM, body);
      assertThat(r.status()).as("%s -> %s", abbreviate(body), r.text()).isBetween(400, 499);
      assertClientError(r, r.status());
    }
    List<String> pushes = List.of(
        "",
        "[]",
        "{\"feature_view\": 1, \"df\": {\"driver_id\": [1]}}",
        "{\"feature_view\": \"driver_hourly_stats\", \"df\": {\"driver_id\": " + deep + "}}",
        "{\"feature_view\": \"driver_hourly_stats\", \"df\": {\"driver_id\": [" + hugeInt + "]}}",
        "{\"feature_view\": \"driver_hourly_stats\", \"df\": {\"driver_id\": [18446744073709551616]}}",
        "{\"feature_view\": \"driver_hourly_stats\", \"df\": {\"driver_id\": [{\"a\": 1}]}}",
        "{\"feature_view\": \"driver_hourly_stats\", \"df\": {\"driver_id\": 1}}",
        "{\"feature_view\": \"driver_hourly_stats\", \"df\": null}",
        "{\"feature_view\": \"driver_hourly_stats\", \"df\": {\"driver_id\": [1]}, \"to\": 3}",
        "{\"feature_view\": \"driver_hourly_stats\", \"push_source_name\": \"s\", \"df\": {\"driver_id\": [1]}}");
    for (String body : pushes) {
      Reply r = post("/push", FORM, body);
      assertThat(r.status()).as("%s -> %s", abbreviate(body), r.text()).isBetween(400, 499);
      assertClientError(r, r.status());
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 120 ? s.substring(0, 120) + "..." : s;
  }

  private static boolean onPath(String program) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, program))) {
        return true;
      }
    }
    return false;
  }
}
