package dev.quiver.materializer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.online.OnlineStore;
import dev.quiver.registry.Definitions;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import dev.quiver.registry.UserInputException;
import dev.quiver.registry.ValueType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaterializerConfigTest {
  @TempDir
  Path dir;

  @Test
  void shouldNameTheMissingOrInvalidOptionWhenBuilt() {
    RegistrySnapshot reg = Fixtures.apply(RegistrySnapshot.empty(), Fixtures.defs("cfg"));
    assertThatThrownBy(() -> MaterializerConfig.builder().withRegistry(reg).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Cannot build materializer config: bootstrap servers are not set");
    try (OnlineStore online = OnlineStore.open(dir, reg)) {
      MaterializerConfig.Builder ok = MaterializerConfig.builder().withBootstrapServers("localhost:1")
          .withRegistry(reg).withOnlineSink(online);
      assertThat(ok.build().flushSize()).isEqualTo(MaterializerConfig.DEFAULT_FLUSH_SIZE);
      assertThat(ok.build().deadLetterTopic()).isEqualTo("quiver.dlq");
      assertThatThrownBy(() -> ok.withFlushSize(0).build()).hasMessageContaining("flush size must be positive, got 0");
      assertThatThrownBy(() -> ok.withFlushSize(10).withFlushAge(Duration.ofSeconds(-1)).build())
          .hasMessageContaining("flush age must not be negative, got PT-1S");
      assertThatThrownBy(() -> MaterializerConfig.builder().withBootstrapServers("localhost:1").withRegistry(reg).build())
          .hasMessageContaining("online sink is not set");
    }
  }

  @Test
  void shouldRefuseToSendToAViewWithABatchSource() {
    FeatureView v = FeatureView.builder("hist_view").withEntity("driver").withSource("hist")
        .withFeature("trips", ValueType.INT64).build();
    Definitions d = Definitions.builder().withEntity(Fixtures.driver())
        .withSource(Source.parquet("hist", "data/*.parquet", "ts", null)).withView(v).build();
    RegistrySnapshot reg = Fixtures.apply(RegistrySnapshot.empty(), d);
    try (FeatureProducer p = FeatureProducer.builder().withBootstrapServers("localhost:1").withRegistry(reg).build()) {
      assertThatThrownBy(() -> p.send("hist_view", Map.of("driver_id", 1L, "event_timestamp", Fixtures.BASE)))
          .isInstanceOf(UserInputException.class)
          .hasMessage("Cannot send to feature view hist_view: its source hist is a Parquet batch source, not a Kafka topic");
    }
  }
}
