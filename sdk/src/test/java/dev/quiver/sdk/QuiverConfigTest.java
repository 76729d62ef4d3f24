package dev.quiver.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.registry.InvalidDefinitionException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuiverConfigTest {
  @TempDir Path repo;

  @Test
  void shouldUseDefaultsUnderTheRepoWhenThereIsNoSettingsFile() {
    QuiverConfig c = QuiverConfig.load(repo);
    assertThat(c.registryPath()).isEqualTo(repo.resolve(".quiver/registry.json"));
    assertThat(c.kafkaDataDir()).isEqualTo(repo.resolve(".quiver/kafka"));
    assertThat(c.onlinePath()).isEqualTo(repo.resolve(".quiver/online"));
    assertThat(c.embeddedKafka()).isTrue();
    assertThat(c.serverPort()).isEqualTo(6566);
  }

  @Test
  void shouldReadNestedSettings() throws Exception {
    Files.writeString(repo.resolve("quiver.yaml"), String.join("\n",
        "project: demo",
        "kafka: {bootstrap_servers: 'localhost:9092', partitions: 6}",
        "server:",
        "  port: 8080",
        "materializer: {flush_age: 2m}", ""));
    QuiverConfig c = QuiverConfig.load(repo);
    assertThat(c.project()).isEqualTo("demo");
    assertThat(c.bootstrapServers()).isEqualTo("localhost:9092");
    assertThat(c.embeddedKafka()).isFalse();
    assertThat(c.partitions()).isEqualTo(6);
    assertThat(c.serverPort()).isEqualTo(8080);
    assertThat(c.flushAge()).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void shouldPutDefaultPathsInsideAnotherStateFolder() throws Exception {
    Files.writeString(repo.resolve("quiver.yaml"), "state_dir: state\noffline_store: {path: /tmp/elsewhere}\n");
    QuiverConfig c = QuiverConfig.load(repo);
    assertThat(c.registryPath()).isEqualTo(repo.resolve("state/registry.json"));
    assertThat(c.onlinePath()).isEqualTo(repo.resolve("state/online"));
    assertThat(c.offlinePath()).isEqualTo(Path.of("/tmp/elsewhere"));
    assertThat(dev.quiver.registry.FeatureRepo.registryFile(repo)).isEqualTo(c.registryPath());
  }

  @Test
  void shouldNameFileLineAndKeyOfAnUnknownSetting() throws Exception {
    Files.writeString(repo.resolve("quiver.yaml"), "project: demo\nserver:\n  prot: 8080\n");
    assertThatThrownBy(() -> QuiverConfig.load(repo))
        .isInstanceOf(InvalidDefinitionException.class)
        .hasMessageContaining("quiver.yaml:3")
        .hasMessageContaining("unknown setting \"server.prot\"");
  }

  @Test
  void shouldNameTheKeyOfABadValue() throws Exception {
    Files.writeString(repo.resolve("quiver.yaml"), "server: {port: eighty}\nlimits: {max_entities: 0}\n");
    assertThatThrownBy(() -> QuiverConfig.load(repo))
        .hasMessageContaining("quiver.yaml:1: bad value \"eighty\" for setting server.port")
        .hasMessageContaining("quiver.yaml:2: bad value \"0\" for setting limits.max_entities");
  }

  @Test
  void shouldReadTheAllowedFutureSkewWithADefaultOfFiveSeconds() throws Exception {
    assertThat(QuiverConfig.load(repo).maxFutureSkew()).isEqualTo(Duration.ofSeconds(5));
    assertThat(QuiverConfig.KEYS).containsKey("materializer.max_future_skew");
    Files.writeString(repo.resolve("quiver.yaml"), "materializer: {max_future_skew: 0}\n");
    assertThat(QuiverConfig.load(repo).maxFutureSkew()).isZero();
    Files.writeString(repo.resolve("quiver.yaml"), "materializer: {max_future_skew: 2m}\n");
    assertThat(QuiverConfig.load(repo).maxFutureSkew()).isEqualTo(Duration.ofMinutes(2));
    assertThat(QuiverConfig.load(repo).withServerPort(0).maxFutureSkew()).isEqualTo(Duration.ofMinutes(2));
    Files.writeString(repo.resolve("quiver.yaml"), "materializer: {max_future_skew: -5s}\n");
    assertThatThrownBy(() -> QuiverConfig.load(repo))
        .hasMessageContaining("quiver.yaml:1: bad value \"-5s\" for setting materializer.max_future_skew: "
            + "expected a duration of 0 or more");
  }

  @Test
  void shouldReportYamlThatDoesNotParseWithItsLine() throws Exception {
    Files.writeString(repo.resolve("quiver.yaml"), "project: demo\nserver: {port: 1\n");
    assertThatThrownBy(() -> QuiverConfig.load(repo))
        .hasMessageContaining("quiver.yaml:")
        .hasMessageContaining("YAML does not parse");
  }
}
