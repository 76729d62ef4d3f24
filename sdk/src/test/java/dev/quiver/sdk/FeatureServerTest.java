package dev.quiver.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.registry.QuiverException;
import dev.quiver.sdk.internal.ServeState;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeatureServerTest {
  @TempDir
  Path repo;

  @Test
  void shouldStopWhatItStartedWhenTheHttpPortIsTakenAndServeAfterwards() throws Exception {
    assertThat(EndToEndTest.cli("init", repo.toString()).code()).isZero();
    assertThat(EndToEndTest.cli("apply", "-r", repo.toString()).code()).isZero();
    QuiverConfig config = QuiverConfig.load(repo);
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      try (FeatureStore store = FeatureStore.open(config.withServerPort(taken.getLocalPort()))) {
        assertThatThrownBy(store::serve)
            .isInstanceOf(QuiverException.class)
            .hasMessageStartingWith("Cannot start online server on 127.0.0.1:" + taken.getLocalPort());
        assertThat(ServeState.read(config.stateDir())).isEmpty();
      }
    }
    // the broker, the materializer and RocksDB were released: the repo serves on another port
    try (FeatureStore store = FeatureStore.open(config.withServerPort(0))) {
      FeatureServer server = store.serve();
      HttpResponse<String> health = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(server.url() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(server.isMaterializing()).isTrue();
      assertThat(ServeState.read(config.stateDir())).map(ServeState::url).contains(server.url());
    }
    assertThat(ServeState.read(config.stateDir())).isEmpty();
  }
}
