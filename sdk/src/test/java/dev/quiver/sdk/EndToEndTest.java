package dev.quiver.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quiver.cli.QuiverCli;
import dev.quiver.online.FeatureStatus;
import dev.quiver.online.FeatureValue;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.Timestamps;
import dev.quiver.sdk.internal.RowFiles;
import dev.quiver.sdk.internal.ServeState;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path a new user walks, with real parts: {@code quiver init}, {@code quiver apply},
 * serve with the embedded broker, push over HTTP, look up over HTTP and in process, export a
 * training set (checked in DuckDB against the sample events), and a consistency check that finds
 * zero mismatches and does find one that is planted.
 */
class EndToEndTest {
  private static final String VIEW = "driver_hourly_stats";
  private static final List<String> FEATURES = List.of("conv_rate", "acc_rate", "avg_daily_trips");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  @Test
  void shouldServePushLookUpExportAndStayConsistentFromAFreshRepo() throws Exception {
    Path repo = tmp.resolve("demo");
    assertThat(cli("init", repo.toString()).code).isZero();
    Path settings = repo.resolve("quiver.yaml");
    Files.writeString(settings, Files.readString(settings).replace("port: 6566", "port: 0")
        .replace("flush_age: 5s", "flush_age: 1s"));
    Cli apply = cli("apply", "-r", repo.toString());
    assertThat(apply.code).as(apply.err).isZero();
    assertThat(apply.out).contains("driver_hourly_stats is now at schema v1");

    List<Map<String, Object>> events = RowFiles.read(repo.resolve("data/driver_stats.csv"));
    assertThat(events).hasSize(240);
    Map<Long, Map<String, Object>> latest = latestPerDriver(events);

    try (FeatureStore store = FeatureStore.open(repo)) {
      FeatureServer server = store.serve();
      assertThat(ServeState.read(store.config().stateDir())).map(ServeState::url).contains(server.url());

      // push over HTTP, in Feast's shape
      HttpResponse<String> pushed = post(server.url() + "/push", pushBody(events));
      assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(200);
      assertThat(JSON.readTree(pushed.body()).path("rows").asInt()).isEqualTo(240);

      // a bad row is a 4xx naming the column and the row, and sends nothing
      HttpResponse<String> bad = post(server.url() + "/push", """
          {"feature_view": "driver_hourly_stats", "to": "online_and_offline",
           "df": {"driver_id": [1001, 1002], "event_timestamp": ["2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"],
                  "conv_rate": [0.5, "fast"]}}""");
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(JSON.readTree(bad.body()).path("detail").asText())
          .isEqualTo("Cannot push row 1 to feature view driver_hourly_stats: column conv_rate: "
              + "expected FLOAT32 but got string \"fast\"");

      // by push source name (Feast's push_source_name): to every view reading that source; an old event
      // (2020) that supersedes nothing, so the latest values and the training set stay those of the file
      HttpResponse<String> bySource = post(server.url() + "/push", """
          {"push_source_name": "driver_stats_stream",
           "df": {"driver_id": [1003], "event_timestamp": ["2020-01-01T00:00:00Z"], "conv_rate": [0.001]}}""");
      assertThat(bySource.statusCode()).as(bySource.body()).isEqualTo(200);
      HttpResponse<String> noSource = post(server.url() + "/push", """
          {"push_source_name": "rider_stream", "df": {"driver_id": [1]}}""");
      assertThat(noSource.statusCode()).isEqualTo(400);
      assertThat(JSON.readTree(noSource.body()).path("detail").asText())
          .startsWith("Cannot push: no feature view reads push source \"rider_stream\"");

      // look up over HTTP: each driver's latest event
      RemoteFeatureStore remote = RemoteFeatureStore.connect(server.url());
      Map<String, List<Object>> drivers = Map.of("driver_id", List.of(1001L, 1002L, 1003L, 1004L, 1005L, 4242L));
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        OnlineResult r = remote.getOnlineFeatures("driver_ranking", drivers);
        assertLatest(r, latest);
      });
      // the server's 4xx detail comes back as a user error naming the field
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> remote.getOnlineFeatures(
              List.of("driver_hourly_stats:speed"), drivers))
          .isInstanceOf(dev.quiver.registry.UserInputException.class).hasMessageContaining("speed");
      OnlineResult overHttp = remote.getOnlineFeatures("driver_ranking", drivers);
      assertThat(overHttp.value(5, "conv_rate").status()).isEqualTo(FeatureStatus.NOT_FOUND);

      // the same in process, through the serving store
      OnlineResult inProcess = store.getOnlineFeatures(
          List.of("driver_hourly_stats:conv_rate", "driver_hourly_stats:acc_rate", "driver_hourly_stats:avg_daily_trips"),
          drivers);
      assertLatest(inProcess, latest);
      assertThat(inProcess.value(0, "conv_rate").value()).isInstanceOf(Float.class);
      assertThat(inProcess.value(5, "conv_rate").status()).isEqualTo(FeatureStatus.NOT_FOUND);

      // wait until the materializer flushed every event to Parquet (the push by source name had no "to":
      // online only, as Feast's default)
      await().atMost(Duration.ofSeconds(30)).until(() ->
          store.offlineStore().committedFiles(VIEW).stream().mapToLong(f -> f.rows()).sum() == 240);

      // export a training set and check every cell in DuckDB against the events (the ordering rule by hand)
      Path out = tmp.resolve("train.parquet");
      var result = store.getHistoricalFeatures(repo.resolve("data/driver_spine.csv"), "driver_ranking").toParquet(out);
      assertThat(result.rows()).isEqualTo(21);
      assertThat(result.manifest()).exists();
      assertTrainingSetMatchesEvents(out, events);
      try (var allocator = new org.apache.arrow.memory.RootAllocator();
           var arrow = store.getHistoricalFeatures(repo.resolve("data/driver_spine.csv"), "driver_ranking")
               .withFullFeatureNames(true).toArrow(allocator)) {
        int arrowRows = 0;
        long present = 0;
        while (arrow.loadNextBatch()) {
          var root = arrow.getVectorSchemaRoot();
          assertThat(root.getSchema().getFields()).extracting(f -> f.getName()).containsExactly("driver_id",
              "event_timestamp", "trip_completed", "driver_hourly_stats__conv_rate", "driver_hourly_stats__acc_rate",
              "driver_hourly_stats__avg_daily_trips");
          arrowRows += root.getRowCount();
          present += root.getRowCount() - root.getVector("driver_hourly_stats__conv_rate").getNullCount();
        }
        assertThat(arrowRows).isEqualTo(21);
        assertThat(present).isEqualTo(20);
      }

      // consistency: zero mismatches, in process and over HTTP
      ConsistencyReport local = store.checkConsistency(List.of(), 100, store);
      assertThat(local.consistent()).as(local.toString()).isTrue();
      assertThat(local.entitiesPerView()).containsEntry(VIEW, 5);
      assertThat(local.valuesCompared()).isEqualTo(15);
      ConsistencyReport viaHttp = store.checkConsistency(List.of(VIEW), 3, remote);
      assertThat(viaHttp.consistent()).as(viaHttp.toString()).isTrue();
      assertThat(viaHttp.entitiesPerView().get(VIEW)).isBetween(3, 5); // 3 from each store
    }
    assertThat(ServeState.file(repo.resolve(".quiver"))).doesNotExist();

    // after serve stopped, the CLI reads RocksDB itself
    Cli get = cli("get", "-r", repo.toString(), "--service", "driver_ranking", "--entity", "driver_id=1003");
    assertThat(get.code).as(get.err).isZero();
    assertThat(get.out).contains("driver_id  conv_rate").contains(latest.get(1003L).get("conv_rate").toString());
    Cli check = cli("check-consistency", "-r", repo.toString());
    assertThat(check.code).as(check.out + check.err).isZero();
    assertThat(check.out).contains("0 mismatches");

    // a value planted in the online store only is reported, and the command exits 3
    try (FeatureStore store = FeatureStore.open(repo)) {
      Instant now = Timestamps.truncateToMicros(Instant.now());
      store.onlineStore().write(List.of(new FeatureEvent(VIEW, 1, List.of(1002L), Timestamps.toMicros(now),
          Timestamps.toMicros(now), 0, 1_000_000_000L, List.of(0.125f, 0.25f, 7L))), Map.of());
      ConsistencyReport planted = store.checkConsistency(List.of(VIEW), 100, store);
      assertThat(planted.mismatches()).hasSize(3)
          .allSatisfy(m -> assertThat(m.entity()).containsEntry("driver_id", 1002L));
      assertThat(planted.mismatches()).extracting(ConsistencyReport.Mismatch::onlineValue)
          .containsExactlyInAnyOrder(0.125f, 0.25f, 7L);
    }
    Cli mismatch = cli("check-consistency", "-r", repo.toString(), "--views", VIEW);
    assertThat(mismatch.code).isEqualTo(3);
    assertThat(mismatch.out).contains("MISMATCH driver_hourly_stats {driver_id=1002} conv_rate: online 0.125 (PRESENT at ")
        .contains("3 mismatches");

    // a second serve on the same repo reuses the broker's data, and a push through the SDK flows
    try (FeatureStore store = FeatureStore.open(repo)) {
      FeatureServer server = store.serve();
      Instant t = Timestamps.truncateToMicros(Instant.now()).minusSeconds(1);
      store.push(VIEW, List.of(Map.of("driver_id", 1004L, "event_timestamp", t, "conv_rate", 0.75f)));
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        FeatureValue v = store.getOnlineFeatures(List.of("driver_hourly_stats:conv_rate"),
            Map.of("driver_id", List.of(1004L))).value(0, 0);
        assertThat(v.value()).isEqualTo(0.75f);
        assertThat(v.eventTime()).isEqualTo(t);
      });

      // the CLI finds the running server: push produces to its broker, get asks its HTTP server
      Path one = Files.writeString(tmp.resolve("one.csv"), "driver_id,event_timestamp,avg_daily_trips\n1004,"
          + t.plusMillis(1) + ",4321\n");
      Cli push = cli("push", "-r", repo.toString(), "--view", VIEW, "--file", one.toString());
      assertThat(push.code).as(push.err).isZero();
      assertThat(push.out).contains("Pushed 1 rows to driver_hourly_stats (to online_and_offline).");
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        Cli viaServer = cli("get", "-r", repo.toString(), "--features", "driver_hourly_stats:avg_daily_trips,"
            + "driver_hourly_stats:conv_rate", "--entity", "driver_id=1004");
        assertThat(viaServer.code).as(viaServer.err).isZero();
        // conv_rate is null in the newest event: the newest event wins as a whole
        assertThat(viaServer.out.lines()).containsExactly("driver_id  avg_daily_trips  conv_rate",
            "1004       4321             (NULL_VALUE)");
      });

      // "to": online or offline only: the materializer writes one store, and the check reports exactly those
      String onlineOnly = "{\"feature_view\": \"driver_hourly_stats\", \"to\": \"online\", \"df\": "
          + "{\"driver_id\": [1001], \"event_timestamp\": [\"" + t + "\"], \"conv_rate\": [0.5]}}";
      String offlineOnly = onlineOnly.replace("\"online\"", "\"offline\"").replace("1001", "1002");
      assertThat(post(server.url() + "/push", onlineOnly).statusCode()).isEqualTo(200);
      assertThat(post(server.url() + "/push", offlineOnly).statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        ConsistencyReport r = store.checkConsistency(List.of(VIEW), 100, store);
        assertThat(r.mismatches()).extracting(m -> m.entity().get("driver_id") + " " + m.feature() + " "
                + m.onlineValue() + " " + m.offlineValue())
            .containsExactlyInAnyOrder(
                "1001 conv_rate 0.5 " + latest.get(1001L).get("conv_rate"),
                "1001 acc_rate null " + latest.get(1001L).get("acc_rate"),
                "1001 avg_daily_trips null " + latest.get(1001L).get("avg_daily_trips"),
                // online still holds the value planted above for 1002
                "1002 conv_rate 0.125 0.5", "1002 acc_rate 0.25 null", "1002 avg_daily_trips 7 null");
      });

      // a view applied while serving gets its topic and starts flowing
      Files.writeString(repo.resolve("driver_weekly.yaml"), """
          sources:
            - name: driver_weekly_stream
              kafka: {}
              timestamp_field: event_timestamp
          feature_views:
            - name: driver_weekly_stats
              entities: [driver]
              source: driver_weekly_stream
              ttl: 7d
              features:
                - {name: weekly_trips, type: INT64}
          """);
      Cli applyWhileServing = cli("apply", "-r", repo.toString());
      assertThat(applyWhileServing.code).as(applyWhileServing.err).isZero();
      String body = "{\"feature_view\": \"driver_weekly_stats\", \"df\": {\"driver_id\": [1005], "
          + "\"event_timestamp\": [\"" + t + "\"], \"weekly_trips\": [77]}}";
      RemoteFeatureStore remote = RemoteFeatureStore.connect(server.url());
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(post(server.url() + "/push", body).statusCode()).isEqualTo(200));
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        FeatureValue v = remote.getOnlineFeatures(List.of("driver_weekly_stats:weekly_trips"),
            Map.of("driver_id", List.of(1005))).value(0, 0);
        assertThat(v.status()).isEqualTo(FeatureStatus.PRESENT);
        assertThat(v.value()).isEqualTo(77L);
      });
    }
  }

  private static Map<Long, Map<String, Object>> latestPerDriver(List<Map<String, Object>> events) {
    Map<Long, Map<String, Object>> latest = new HashMap<>();
    for (Map<String, Object> e : events) {
      long d = Long.parseLong((String) e.get("driver_id"));
      Map<String, Object> cur = latest.get(d);
      if (cur == null || time(e).isAfter(time(cur))) {
        latest.put(d, e);
      }
    }
    return latest;
  }

  private static Instant time(Map<String, Object> e) {
    return Instant.parse((String) e.get("event_timestamp"));
  }

  private static void assertLatest(OnlineResult r, Map<Long, Map<String, Object>> latest) {
    for (int i = 0; i < 5; i++) {
      long d = ((Number) r.joinKey(i, "driver_id")).longValue();
      Map<String, Object> e = latest.get(d);
      for (String f : FEATURES) {
        FeatureValue v = r.value(i, f);
        assertThat(v.status()).as("%d %s", d, f).isEqualTo(FeatureStatus.PRESENT);
        assertThat(v.eventTime()).isEqualTo(time(e));
        if (f.equals("avg_daily_trips")) {
          assertThat(((Number) v.value()).longValue()).isEqualTo(Long.parseLong((String) e.get(f)));
        } else {
          assertThat(((Number) v.value()).floatValue()).isEqualTo(Float.parseFloat((String) e.get(f)));
        }
      }
    }
  }

  /** Every spine row's features are those of the driver's latest event in [t - 2h, t], or null. */
  private static void assertTrainingSetMatchesEvents(Path out, List<Map<String, Object>> events) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
         Statement s = c.createStatement();
         ResultSet r = s.executeQuery("SELECT driver_id, epoch_us(event_timestamp), conv_rate, acc_rate, "
             + "avg_daily_trips FROM read_parquet('" + out + "')")) {
      int rows = 0;
      int withValues = 0;
      while (r.next()) {
        rows++;
        long d = r.getLong(1);
        Instant t = Timestamps.fromMicros(r.getLong(2));
        Map<String, Object> best = null;
        for (Map<String, Object> e : events) {
          Instant et = time(e);
          if (Long.parseLong((String) e.get("driver_id")) == d && !et.isAfter(t)
              && !et.isBefore(t.minus(Duration.ofHours(2))) && (best == null || et.isAfter(time(best)))) {
            best = e;
          }
        }
        if (best == null) {
          assertThat(r.getObject(3)).as("driver %d at %s", d, t).isNull();
          assertThat(r.getObject(5)).isNull();
        } else {
          withValues++;
          assertThat(r.getFloat(3)).isEqualTo(Float.parseFloat((String) best.get("conv_rate")));
          assertThat(r.getFloat(4)).isEqualTo(Float.parseFloat((String) best.get("acc_rate")));
          assertThat(r.getLong(5)).isEqualTo(Long.parseLong((String) best.get("avg_daily_trips")));
        }
      }
      assertThat(rows).isEqualTo(21);
      assertThat(withValues).isEqualTo(20);
    }
  }

  private static String pushBody(List<Map<String, Object>> events) {
    ObjectNode body = JSON.createObjectNode();
    body.put("feature_view", VIEW);
    body.put("to", "online_and_offline");
    ObjectNode df = body.putObject("df");
    ArrayNode ids = df.putArray("driver_id");
    ArrayNode ts = df.putArray("event_timestamp");
    ArrayNode conv = df.putArray("conv_rate");
    ArrayNode acc = df.putArray("acc_rate");
    ArrayNode trips = df.putArray("avg_daily_trips");
    for (Map<String, Object> e : events) {
      ids.add(Long.parseLong((String) e.get("driver_id")));
      ts.add((String) e.get("event_timestamp"));
      conv.add(Double.parseDouble((String) e.get("conv_rate")));
      acc.add(Double.parseDouble((String) e.get("acc_rate")));
      trips.add(Long.parseLong((String) e.get("avg_daily_trips")));
    }
    return body.toString();
  }

  private static HttpResponse<String> post(String url, String body) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  record Cli(int code, String out, String err) {}

  static Cli cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = QuiverCli.run(new QuiverCli(), new PrintWriter(out), new PrintWriter(err), args);
    return new Cli(code, out.toString(), err.toString());
  }
}
