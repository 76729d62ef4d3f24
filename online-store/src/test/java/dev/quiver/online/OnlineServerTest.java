package dev.quiver.online;

import static dev.quiver.online.Fixtures.DRIVER_VIEW;
import static dev.quiver.online.Fixtures.T0;
import static dev.quiver.online.Fixtures.driver;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.UserInputException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** A real server on a random port, a real HTTP client, Feast's JSON shapes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OnlineServerTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int MAX_ENTITIES = 5;
  static final int MAX_BODY = 4096;

  Path dir;
  OnlineStore store;
  OnlineServer server;
  OnlineServer pushServer;
  final List<PushRequest> pushed = new CopyOnWriteArrayList<>();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  void start() throws IOException {
    dir = Files.createTempDirectory("online-server");
    store = OnlineStore.open(dir, Fixtures.registry());
    store.write(List.of(
        driver(1001, T0, FeatureEvent.NO_CREATED_TIME, 1, 0.5f, null, 7L),
        driver(1002, T0.plusSeconds(30), FeatureEvent.NO_CREATED_TIME, 2, 0.25f, 0.75f, 9L),
        driver(1003, T0.minus(Duration.ofHours(3)), FeatureEvent.NO_CREATED_TIME, 3, 0.1f, 0.1f, 1L),
        OnlineStoreTest.customer("c1", 33, "gold", T0, 1)), Map.of());
    Clock clock = Clock.fixed(T0.plusSeconds(60), ZoneOffset.UTC);
    server = OnlineServer.builder(store).withPort(0).withClock(clock).withMaxEntities(MAX_ENTITIES)
        .withMaxBodyBytes(MAX_BODY).start();
    pushServer = OnlineServer.builder(store).withPort(0).withClock(clock).withPushHandler(r -> {
      if (r.pushSourceName() != null && r.pushSourceName().equals("nope")) {
        throw new UserInputException("Cannot push: unknown push source nope");
      }
      pushed.add(r);
    }).start();
  }

  @AfterAll
  void stop() throws IOException {
    server.close();
    pushServer.close();
    store.close();
    try (var paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  record Reply(int status, JsonNode body, String text, String contentType) {}

  Reply post(OnlineServer s, String path, String body) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    return reply(r);
  }

  Reply get(String path) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .GET().build(), HttpResponse.BodyHandlers.ofString());
    return reply(r);
  }

  private static Reply reply(HttpResponse<String> r) throws IOException {
    String ct = r.headers().firstValue("content-type").orElse("");
    JsonNode body = ct.startsWith("application/json") ? JSON.readTree(r.body()) : null;
    return new Reply(r.statusCode(), body, r.body(), ct);
  }

  Reply lookup(String body) throws Exception {
    return post(server, "/get-online-features", body);
  }

  private static void assertError(Reply r, int status, String error, String... detailParts) {
    assertThat(r.status()).as(r.text()).isEqualTo(status);
    assertThat(r.contentType()).startsWith("application/json");
    assertThat(r.body().get("error").asText()).isEqualTo(error);
    assertThat(r.body().get("detail").asText()).contains(detailParts).doesNotContain("\tat ", "Exception");
    assertThat(r.body().size()).isEqualTo(2);
  }

  @Test
  void shouldAnswerInFeastsColumnMajorShapeWithJoinKeysFirstAndEntitiesInRequestOrder() throws Exception {
    Reply r = lookup("""
        {"features": ["driver_hourly_stats:conv_rate", "driver_hourly_stats:acc_rate",
                      "driver_hourly_stats:avg_daily_trips"],
         "entities": {"driver_id": [1002, 9999, 1001, 1003]}}""");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(JSON.readTree("""
        {"metadata": {"feature_names": ["driver_id", "conv_rate", "acc_rate", "avg_daily_trips"]},
         "results": [
          {"values": [1002, 9999, 1001, 1003],
           "statuses": ["PRESENT", "PRESENT", "PRESENT", "PRESENT"],
           "event_timestamps": ["1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"]},
          {"values": [0.25, null, 0.5, null],
           "statuses": ["PRESENT", "NOT_FOUND", "PRESENT", "OUTSIDE_MAX_AGE"],
           "event_timestamps": ["2024-05-01T10:00:30Z", "1970-01-01T00:00:00Z", "2024-05-01T10:00:00Z", "2024-05-01T07:00:00Z"]},
          {"values": [0.75, null, null, null],
           "statuses": ["PRESENT", "NOT_FOUND", "NULL_VALUE", "OUTSIDE_MAX_AGE"],
           "event_timestamps": ["2024-05-01T10:00:30Z", "1970-01-01T00:00:00Z", "2024-05-01T10:00:00Z", "2024-05-01T07:00:00Z"]},
          {"values": [9, null, 7, null],
           "statuses": ["PRESENT", "NOT_FOUND", "PRESENT", "OUTSIDE_MAX_AGE"],
           "event_timestamps": ["2024-05-01T10:00:30Z", "1970-01-01T00:00:00Z", "2024-05-01T10:00:00Z", "2024-05-01T07:00:00Z"]}
         ]}"""));
  }

  @Test
  void shouldServeAFeatureServiceWithFullFeatureNamesAndSeveralEntities() throws Exception {
    Reply r = lookup("""
        {"feature_service": "everything", "full_feature_names": true,
         "entities": {"driver_id": [1001], "customer_id": ["c1"]}}""");

    assertThat(r.status()).as(r.text()).isEqualTo(200);
    List<String> names = new ArrayList<>();
    r.body().get("metadata").get("feature_names").forEach(n -> names.add(n.asText()));
    assertThat(names).containsExactly("driver_id", "customer_id", "driver_hourly_stats__conv_rate",
        "driver_hourly_stats__acc_rate", "driver_hourly_stats__avg_daily_trips", "customer_profile__segment");
    assertThat(r.body().get("results").get(1).get("values").get(0).asText()).isEqualTo("c1");
    assertThat(r.body().get("results").get(2).get("values").get(0).asDouble()).isEqualTo(0.5);
    assertThat(r.body().get("results").get(5).get("values").get(0).asText()).isEqualTo("gold");
  }

  @Test
  void shouldAcceptTheServiceOfTheDriverExampleWithShortNames() throws Exception {
    Reply r = lookup("{\"feature_service\": \"driver_ranking\", \"entities\": {\"driver_id\": [1001]}}");
    assertThat(r.body().get("metadata").get("feature_names").toString())
        .isEqualTo("[\"driver_id\",\"conv_rate\",\"acc_rate\"]");
  }

  @Test
  void shouldRejectMalformedJson() throws Exception {
    assertError(lookup("{\"features\": [\"driver_hourly_stats:conv_rate\""), 400, "bad_request", "malformed JSON");
    assertError(lookup("[1, 2]"), 400, "bad_request", "expected a JSON object but got array");
    assertError(lookup(""), 400, "bad_request", "the request body is empty");
  }

  @Test
  void shouldAnswer404NamingAnUnknownViewFeatureOrService() throws Exception {
    assertError(lookup("{\"features\": [\"driver_hourly_stats:conv_rate\", \"nope:x\"], \"entities\": {\"driver_id\": [1]}}"),
        404, "not_found", "features[1]", "nope");
    assertError(lookup("{\"features\": [\"driver_hourly_stats:speed\"], \"entities\": {\"driver_id\": [1]}}"),
        404, "not_found", "features[0]", "driver_hourly_stats:speed");
    assertError(lookup("{\"feature_service\": \"ghost\", \"entities\": {\"driver_id\": [1]}}"),
        404, "not_found", "feature_service", "ghost");
  }

  @Test
  void shouldRejectBadFeatureLists() throws Exception {
    assertError(lookup("{\"features\": [\"no colon\"], \"entities\": {\"driver_id\": [1]}}"),
        400, "bad_request", "features[0]", "no colon");
    assertError(lookup("{\"features\": [], \"entities\": {\"driver_id\": [1]}}"), 400, "bad_request", "features");
    assertError(lookup("{\"entities\": {\"driver_id\": [1]}}"), 400, "bad_request", "features or feature_service");
    assertError(lookup("{\"features\": [\"driver_hourly_stats:conv_rate\"], \"feature_service\": \"driver_ranking\","
        + " \"entities\": {\"driver_id\": [1]}}"), 400, "bad_request", "exactly one of features or feature_service");
    assertError(lookup("{\"features\": [\"driver_hourly_stats:conv_rate\"], \"full_feature_names\": \"yes\","
        + " \"entities\": {\"driver_id\": [1]}}"), 400, "bad_request", "full_feature_names");
  }

  @Test
  void shouldNameAMissingJoinKey() throws Exception {
    assertError(lookup("{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"customer_id\": [\"c1\"]}}"),
        400, "bad_request", "entities.driver_id is missing");
    assertError(lookup("{\"features\": [\"driver_hourly_stats:conv_rate\"]}"), 400, "bad_request", "entities is required");
  }

  @Test
  void shouldNameAJoinKeyOfTheWrongType() throws Exception {
    assertError(lookup("{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": [1, \"abc\"]}}"),
        400, "bad_request", "entities.driver_id[1]", "expected INT64");
    assertError(lookup("{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": [1.5]}}"),
        400, "bad_request", "entities.driver_id[0]", "expected INT64");
    assertError(lookup("{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": [{\"a\": 1}]}}"),
        400, "bad_request", "entities.driver_id[0]");
    assertError(lookup("{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": 1}}"),
        400, "bad_request", "entities.driver_id must be a list");
    assertError(lookup("{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": [1, 99999999999999999999]}}"),
        400, "bad_request", "entities.driver_id[1]", "out of the range of a 64-bit integer");
  }

  @Test
  void shouldRejectEntityListsOfDifferentLengths() throws Exception {
    assertError(lookup("{\"features\": [\"driver_hourly_stats:conv_rate\"],"
        + " \"entities\": {\"driver_id\": [1, 2], \"customer_id\": [\"c1\"]}}"),
        400, "bad_request", "entities.customer_id has 1 values but entities.driver_id has 2");
  }

  @Test
  void shouldRejectMoreEntitiesThanTheLimit() throws Exception {
    assertError(lookup("{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": [1,2,3,4,5,6]}}"),
        400, "bad_request", "entities.driver_id has 6 entities, more than the limit of 5");
  }

  @Test
  void shouldAnswer413ForABodyOverTheLimit() throws Exception {
    String big = "{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": [1]}, \"pad\": \""
        + "x".repeat(MAX_BODY) + "\"}";
    assertError(lookup(big), 413, "payload_too_large", "larger than the limit of 4096 bytes");
  }

  @Test
  void shouldAnswerUnknownRoutesAndMethodsWithJson() throws Exception {
    assertError(get("/nope"), 404, "not_found", "no such endpoint");
    assertError(get("/get-online-features"), 405, "method_not_allowed", "GET /get-online-features");
  }

  @Test
  void shouldAnswer501ForPushWithoutAHandler() throws Exception {
    assertError(post(server, "/push", "{\"push_source_name\": \"s\", \"df\": {\"a\": [1]}}"),
        501, "not_implemented", "no push handler");
  }

  @Test
  void shouldHandAValidPushToTheHandler() throws Exception {
    Reply r = post(pushServer, "/push", """
        {"push_source_name": "driver_stats_push", "to": "online_and_offline",
         "df": {"driver_id": [1001, 1002], "conv_rate": [0.5, null], "scores": [[1, 2], []]}}""");

    assertThat(r.status()).as(r.text()).isEqualTo(200);
    assertThat(pushed).hasSize(1);
    PushRequest p = pushed.get(0);
    assertThat(p.pushSourceName()).isEqualTo("driver_stats_push");
    assertThat(p.to()).isEqualTo(PushTarget.ONLINE_AND_OFFLINE);
    assertThat(p.rowCount()).isEqualTo(2);
    assertThat(p.columns().get("driver_id")).containsExactly(1001L, 1002L);
    assertThat(p.columns().get("conv_rate")).containsExactly(0.5, null);
    assertThat(p.columns().get("scores")).containsExactly(List.of(1L, 2L), List.of());
  }

  @Test
  void shouldRejectBadPushBodiesNamingTheField() throws Exception {
    assertError(post(pushServer, "/push", "{\"df\": {\"a\": [1]}}"), 400, "bad_request", "push_source_name or feature_view");
    assertError(post(pushServer, "/push", "{\"feature_view\": \"v\", \"df\": {\"a\": [1], \"b\": [1, 2]}}"),
        400, "bad_request", "df.b has 2 values but df.a has 1");
    assertError(post(pushServer, "/push", "{\"feature_view\": \"v\", \"df\": {\"a\": [1]}, \"to\": \"elsewhere\"}"),
        400, "bad_request", "to must be", "elsewhere");
    assertError(post(pushServer, "/push", "{\"feature_view\": \"v\", \"df\": []}"), 400, "bad_request", "df must be");
    assertError(post(pushServer, "/push", "{\"push_source_name\": \"nope\", \"df\": {\"a\": [1]}}"),
        400, "bad_request", "unknown push source nope");
    assertError(post(pushServer, "/push", "{oops"), 400, "bad_request", "malformed JSON");
  }

  @Test
  void shouldAnswer503WithJsonOnceTheStoreIsClosed() throws Exception {
    Path other = Files.createTempDirectory("online-server-closed");
    OnlineStore closing = OnlineStore.open(other, Fixtures.registry());
    try (OnlineServer s = OnlineServer.builder(closing).withPort(0).start()) {
      closing.close();
      HttpResponse<String> health = http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + s.port() + "/health")).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(503);
      assertError(post(s, "/get-online-features",
          "{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": [1]}}"),
          503, "unavailable", "is closed");
    } finally {
      try (var paths = Files.walk(other)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  void shouldReportHealth() throws Exception {
    Reply r = get("/health");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body().get("status").asText()).isEqualTo("ok");
  }

  @Test
  void shouldExposeRequestLookupAndStatusMetricsInPrometheusText() throws Exception {
    lookup("{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": [1001, 4242]}}");
    lookup("{oops");

    Reply r = get("/metrics");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.contentType()).startsWith("text/plain");
    assertThat(r.text())
        .containsPattern("quiver_http_requests_seconds_count\\{endpoint=\"/get-online-features\",status=\"200\"} [1-9]")
        .containsPattern("quiver_http_requests_seconds_count\\{endpoint=\"/get-online-features\",status=\"400\"} [1-9]")
        .contains("quiver_http_requests_seconds_bucket{endpoint=\"/get-online-features\"")
        .containsPattern("quiver_online_lookups_total\\{view=\"driver_hourly_stats\"} [1-9]")
        .containsPattern("quiver_online_values_total\\{status=\"NOT_FOUND\"} [1-9]")
        .containsPattern("quiver_online_values_total\\{status=\"PRESENT\"} [1-9]");
  }
}
