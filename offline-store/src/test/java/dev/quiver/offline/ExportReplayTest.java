package dev.quiver.offline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quiver.registry.RegistrySnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportReplayTest {
  @TempDir
  Path dir;
  RegistrySnapshot reg;
  OfflineStore store;
  Path repo;
  Path spine;

  @BeforeEach
  void setUp() throws Exception {
    Random r = new Random(5);
    reg = PitFixtures.registry();
    store = OfflineStore.open(dir.resolve("store"), reg);
    repo = dir.resolve("repo");
    PitFixtures.fillStore(store, r, 300, 200, 8, 3);
    PitFixtures.writeLifetimeFiles(repo, r, 300, 3);
    spine = PitFixtures.writeSpine(dir.resolve("spine.parquet"), r, 1000, 300, 200, 3);
  }

  private ExportResult export(Path out, ExportFormat format) {
    return TrainingSetExport.builder(reg).withStore(store).withRepoDir(repo).withSpine(spine)
        .withFeatures(PitFixtures.ALL_REFS).withOutput(out).withFormat(format).withProgressBar(false).build().run();
  }

  @Test
  void manifestRecordsRegistryViewsInputsSpineOptionsAndOutput() throws Exception {
    ExportResult r = export(dir.resolve("train.parquet"), ExportFormat.PARQUET);
    assertThat(r.manifest()).isEqualTo(dir.resolve("train.parquet.manifest.json"));
    JsonNode m = new ObjectMapper().readTree(Files.readString(r.manifest()));
    assertThat(m.path("format").asText()).isEqualTo("quiver-export-manifest");
    assertThat(m.path("formatVersion").asInt()).isEqualTo(1);
    assertThat(m.path("registry").path("version").asLong()).isEqualTo(reg.version());
    assertThat(m.path("views")).hasSize(3);
    assertThat(m.path("views").get(0).path("hash").asText()).isEqualTo(RegistrySnapshot.hash(reg.view("driver_stats")));
    assertThat(m.path("spine").path("sha256").asText()).isEqualTo(ExportRun.sha256(spine));
    assertThat(m.path("inputs").size()).isGreaterThan(3);
    JsonNode first = m.path("inputs").get(0);
    Path f = Path.of(first.path("path").asText());
    assertThat(first.path("size").asLong()).isEqualTo(Files.size(f));
    assertThat(first.path("sha256").asText()).isEqualTo(ExportRun.sha256(f));
    assertThat(m.path("options").path("format").asText()).isEqualTo("parquet");
    assertThat(m.path("output").path("sha256").asText()).isEqualTo(r.outputSha256()).isEqualTo(ExportRun.sha256(r.output()));
    assertThat(m.path("output").path("rows").asLong()).isEqualTo(1000);
  }

  @Test
  void sameInputsGiveByteIdenticalOutputAndReplayConfirmsIt() throws Exception {
    ExportResult a = export(dir.resolve("a.parquet"), ExportFormat.PARQUET);
    ExportResult b = export(dir.resolve("b.parquet"), ExportFormat.PARQUET);
    assertThat(Files.readAllBytes(a.output())).isEqualTo(Files.readAllBytes(b.output()));
    // data committed after the export does not change its replay
    PitFixtures.fillStore(store, new Random(99), 50, 50, 3, 3);
    ReplayReport rep = TrainingSetExport.replay(a.manifest(), reg, store, repo, null);
    assertThat(rep.identical()).isTrue();
    assertThat(rep.changedInputs()).isEmpty();
    assertThat(rep.actualSha256()).isEqualTo(a.outputSha256());
  }

  @Test
  void replayOfArrowAndCsvExportsIsByteIdenticalToo() throws Exception {
    ExportResult arrow = export(dir.resolve("t.arrow"), ExportFormat.ARROW);
    ExportResult csv = export(dir.resolve("t.csv"), ExportFormat.CSV);
    assertThat(TrainingSetExport.replay(arrow.manifest(), reg, store, repo, null).identical()).isTrue();
    assertThat(TrainingSetExport.replay(csv.manifest(), reg, store, repo, null).identical()).isTrue();
  }

  @Test
  void changedSourceFileIsDetectedAndNamed() throws Exception {
    ExportResult a = export(dir.resolve("a.parquet"), ExportFormat.PARQUET);
    Path changed = repo.resolve("data/lifetime/part-1.parquet");
    PitFixtures.writeLifetimeFiles(repo, new Random(1234), 300, 3);
    assertThatThrownBy(() -> TrainingSetExport.replay(a.manifest(), reg, store, repo, null))
        .isInstanceOf(ReplayMismatchException.class)
        .hasMessageContaining(changed.toAbsolutePath().toString())
        .hasMessageContaining("content changed")
        .satisfies(e -> assertThat(((ReplayMismatchException) e).report().changedInputs())
            .anyMatch(s -> s.startsWith(changed.toAbsolutePath().toString())));
  }

  @Test
  void changedSpineIsDetectedAndNamed() throws Exception {
    ExportResult a = export(dir.resolve("a.parquet"), ExportFormat.PARQUET);
    PitFixtures.writeSpine(spine, new Random(77), 1000, 300, 200, 3);
    assertThatThrownBy(() -> TrainingSetExport.replay(a.manifest(), reg, store, repo, null))
        .isInstanceOf(ReplayMismatchException.class)
        .hasMessageContaining(spine.toAbsolutePath() + ": content changed");
  }

  @Test
  void damagedStoreFileIsDetectedAndNamedEvenWhenItCannotBeRead() throws Exception {
    ExportResult a = export(dir.resolve("a.parquet"), ExportFormat.PARQUET);
    JsonNode m = new ObjectMapper().readTree(Files.readString(a.manifest()));
    Path victim = Path.of(m.path("inputs").get(0).path("path").asText());
    Files.writeString(victim, "not parquet any more");
    assertThatThrownBy(() -> TrainingSetExport.replay(a.manifest(), reg, store, repo, null))
        .isInstanceOf(ReplayMismatchException.class)
        .hasMessageContaining(victim + ": content changed");
  }
}
