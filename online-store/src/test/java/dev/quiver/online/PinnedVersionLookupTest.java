package dev.quiver.online;

import static dev.quiver.online.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.registry.Definitions;
import dev.quiver.registry.Entity;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import dev.quiver.registry.Timestamps;
import dev.quiver.registry.UserInputException;
import dev.quiver.registry.ValueType;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lookup pinned to an older version after a widening is a user error with a message naming the
 * version, the feature and what to ask for instead: in process and over HTTP (400, not 500). A
 * pinned feature whose type did not change keeps working.
 */
class PinnedVersionLookupTest {
  static final String WIDENED = "Cannot resolve feature rides@v1:trips: it is INT32 in v1 but INT64 in v2, and values"
      + " stored since v2 cannot be read as v1; ask for rides:trips (the current version v2, INT64)";

  @TempDir
  Path dir;
  OnlineStore store;
  Vertx vertx;
  WebClient client;

  static Definitions rides(ValueType trips) {
    return Definitions.builder()
        .withEntity(Entity.builder("driver").withJoinKey("driver_id", ValueType.INT64).build())
        .withSource(Source.kafka("rides_stream", null))
        .withView(FeatureView.builder("rides").withEntity("driver").withSource("rides_stream")
            .withFeature("trips", trips).withFeature("note", ValueType.STRING).build())
        .build();
  }

  static FeatureEvent ride(int version, long driver, long offset, Object trips, String note) {
    return new FeatureEvent("rides", version, List.of(driver), Timestamps.toMicros(T0.plusSeconds(offset)),
        FeatureEvent.NO_CREATED_TIME, 0, offset, Arrays.asList(trips, note));
  }

  @BeforeEach
  void open() {
    vertx = Vertx.vertx();
    client = WebClient.create(vertx);
  }

  @AfterEach
  void close() throws Exception {
    client.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    if (store != null) {
      store.close();
    }
  }

  private HttpResponse<Buffer> lookup(OnlineServer server, String... refs) throws Exception {
    JsonObject body = new JsonObject().put("features", List.of(refs)).put("entities", Map.of("driver_id", List.of(1, 2)));
    return client.post(server.port(), "127.0.0.1", "/get-online-features").putHeader("content-type", "application/json")
        .sendBuffer(body.toBuffer()).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static List<Object> values(HttpResponse<Buffer> r, int result) {
    return r.bodyAsJsonObject().getJsonArray("results").getJsonObject(result).getJsonArray("values").getList();
  }

  @Test
  void shouldServeAPinnedLookupBeforeTheWideningAndRefuseItAfterWith400NamingVersionAndFeature() throws Exception {
    RegistrySnapshot v1 = RegistrySnapshot.of(rides(ValueType.INT32));
    RegistrySnapshot v2 = v1.withDefinitions(rides(ValueType.INT64), T0, "widen trips");
    store = OnlineStore.open(dir, v1);
    store.write(List.of(ride(1, 1, 1, 10, "old"), ride(1, 2, 2, 20, "old")), Map.of());
    Clock clock = Clock.fixed(T0.plusSeconds(60), ZoneOffset.UTC);
    try (OnlineServer server = OnlineServer.builder(store).withPort(0).withClock(clock).start()) {
      // before: the pinned reference reads v1 values
      HttpResponse<Buffer> before = lookup(server, "rides@v1:trips");
      assertThat(before.statusCode()).as(before.bodyAsString()).isEqualTo(200);
      assertThat(values(before, 1)).containsExactly(10, 20);

      // the widening, then an INT64 value beyond int range for driver 2
      store.useRegistry(v2);
      store.write(List.of(ride(2, 2, 3, 5_000_000_000L, "new")), Map.of());

      HttpResponse<Buffer> after = lookup(server, "rides@v1:trips");
      assertThat(after.statusCode()).as(after.bodyAsString()).isEqualTo(400);
      assertThat(after.getHeader("content-type")).startsWith("application/json");
      assertThat(after.bodyAsJsonObject()).isEqualTo(new JsonObject().put("error", "bad_request")
          .put("detail", "features[0]: " + WIDENED));

      // a pinned feature whose type did not change, and the current version, keep working
      HttpResponse<Buffer> note = lookup(server, "rides@v1:note", "rides:trips");
      assertThat(note.statusCode()).as(note.bodyAsString()).isEqualTo(200);
      assertThat(values(note, 1)).containsExactly("old", "new");
      assertThat(values(note, 2)).containsExactly(10, 5_000_000_000L);
    }
  }

  @Test
  void shouldRefuseThePinnedLookupInProcessWithTheSameMessage() {
    RegistrySnapshot v1 = RegistrySnapshot.of(rides(ValueType.INT32));
    store = OnlineStore.open(dir, v1);
    store.write(List.of(ride(1, 1, 1, 10, "old")), Map.of());
    Map<String, List<Long>> entities = Map.of("driver_id", List.of(1L, 2L));
    assertThat(store.get(List.of("rides@v1:trips"), entities, T0.plusSeconds(60)).value(0, 0).value()).isEqualTo(10);

    store.useRegistry(v1.withDefinitions(rides(ValueType.INT64), T0, "widen trips"));
    store.write(List.of(ride(2, 2, 3, 5_000_000_000L, "new")), Map.of());

    assertThatThrownBy(() -> store.get(List.of("rides@v1:trips"), entities, T0.plusSeconds(60)))
        .isExactlyInstanceOf(UserInputException.class).hasMessage(WIDENED);
    OnlineFeatures note = store.get(List.of("rides@v1:note"), entities, T0.plusSeconds(60));
    assertThat(note.value(0, 0).value()).isEqualTo("old");
    assertThat(note.value(1, 0).value()).isEqualTo("new");
  }
}
