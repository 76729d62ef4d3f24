package dev.quiver.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeatureRepoTest {
  private static final Path EXAMPLE = Path.of("..", "example");

  @TempDir
  Path repo;

  @Test
  void shouldLoadTheBundledExampleAsTheDriverDefinitions() {
    Definitions loaded = FeatureRepo.load(EXAMPLE);

    Definitions driverPart = new Definitions(loaded.entities(),
        java.util.Map.of("driver_stats_stream", loaded.sources().get("driver_stats_stream")),
        java.util.Map.of("driver_hourly_stats", loaded.views().get("driver_hourly_stats")), loaded.services());
    assertThat(driverPart.sameDefinitions(Examples.driver())).isTrue();
    assertThat(loaded.sources().get("driver_stats_stream").topicFor("driver_hourly_stats"))
        .isEqualTo("quiver.driver_hourly_stats");
    Source batch = loaded.sources().get("driver_daily_history");
    assertThat(batch.kind()).isEqualTo(Source.Kind.PARQUET);
    assertThat(batch.path()).isEqualTo("data/driver_daily/*.parquet");
    assertThat(batch.createdTimestampField()).isEqualTo("created");
    assertThat(loaded.views().get("driver_daily_stats").feature("recent_ratings").orElseThrow().type())
        .isEqualTo(ValueType.FLOAT32_LIST);
  }

  @Test
  void shouldRecordTheFileAndLineOfEveryDefinition() {
    Definitions loaded = FeatureRepo.load(EXAMPLE);

    assertThat(loaded.entities().get("driver").location()).isEqualTo(new SourceLocation("driver.yaml", 4));
    assertThat(loaded.sources().get("driver_stats_stream").location()).isEqualTo(new SourceLocation("driver.yaml", 9));
    assertThat(loaded.views().get("driver_hourly_stats").location()).isEqualTo(new SourceLocation("driver.yaml", 14));
    assertThat(loaded.services().get("driver_ranking").location()).isEqualTo(new SourceLocation("driver.yaml", 29));
    assertThat(loaded.views().get("driver_daily_stats").location().file()).isEqualTo("driver_history.yaml");
  }

  @Test
  void shouldReadSettingsFromQuiverYamlWithoutTakingThemForDefinitions() throws IOException {
    write("quiver.yaml", "state_dir: state\nproject: drivers\n");
    write("defs.yaml", ENTITY);

    FeatureRepo fr = FeatureRepo.open(repo);

    assertThat(fr.definitions().entities()).containsOnlyKeys("driver");
    assertThat(fr.settings()).containsEntry("project", "drivers");
    assertThat(fr.registryFile()).isEqualTo(repo.toAbsolutePath().resolve("state").resolve("registry.json"));
  }

  @Test
  void shouldDefaultTheRegistryFileToDotQuiverInTheRepo() throws IOException {
    write("defs.yaml", ENTITY);

    assertThat(FeatureRepo.open(repo).registryFile())
        .isEqualTo(repo.toAbsolutePath().resolve(".quiver").resolve("registry.json"));
  }

  @Test
  void shouldMergeDefinitionsFromSeveralFilesAndIgnoreEmptyOnes() throws IOException {
    write("a_entities.yaml", ENTITY);
    write("b_views.yaml", SOURCE + VIEW);
    write("c_empty.yaml", "# nothing here yet\n");

    Definitions d = FeatureRepo.load(repo);

    assertThat(d.views()).containsOnlyKeys("stats");
    assertThat(d.views().get("stats").ttl()).isEqualTo(Duration.ofMinutes(90));
    assertThat(d.views().get("stats").online()).isFalse();
    assertThat(d.views().get("stats").location()).isEqualTo(new SourceLocation("b_views.yaml", 5));
  }

  @Test
  void shouldRejectAFolderThatDoesNotExist() {
    assertThatThrownBy(() -> FeatureRepo.load(repo.resolve("missing")))
        .isInstanceOf(UserInputException.class)
        .hasMessageContaining("Cannot load feature repo")
        .hasMessageContaining("missing")
        .hasMessageContaining("not a folder");
  }

  static final String ENTITY = """
      entities:
        - name: driver
          join_keys: [{name: driver_id, type: INT64}]
      """;
  static final String SOURCE = """
      sources:
        - name: stream
          kafka: {}
      """;
  static final String VIEW = """
      feature_views:
        - name: stats
          entities: [driver]
          source: stream
          ttl: 90m
          online: false
          features:
            - {name: trips, type: INT64}
      """;

  private void write(String name, String text) throws IOException {
    Files.writeString(repo.resolve(name), text);
  }
}
