package dev.quiver.sdk;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.registry.QuiverException;
import dev.quiver.registry.UserInputException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RemoteFeatureStoreTest {
  @Test
  void shouldRejectAUrlThatIsNotHttp() {
    assertThatThrownBy(() -> RemoteFeatureStore.connect("localhost:6566"))
        .isInstanceOf(UserInputException.class)
        .hasMessage("Cannot connect to feature server: URL \"localhost:6566\" is not http(s)");
  }

  @Test
  void shouldSayWhichServerCannotBeReached() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    RemoteFeatureStore remote = RemoteFeatureStore.connect("http://127.0.0.1:" + port);
    assertThatThrownBy(() -> remote.getOnlineFeatures("driver_ranking", Map.of("driver_id", List.of(1))))
        .isInstanceOf(QuiverException.class)
        .hasMessageStartingWith("Cannot reach feature server at http://127.0.0.1:" + port + "/");
  }
}
