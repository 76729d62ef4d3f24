package dev.quiver.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Apply through the local file store: commit, reload, versions, and the refusal of breaking changes. */
class RegistryApplyTest {
  private static final Instant T1 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant T2 = Instant.parse("2026-01-02T00:00:00Z");

  @TempDir
  Path dir;

  @Test
  void shouldReloadExactlyTheAppliedDefinitions() {
    LocalFileRegistryStore store = new LocalFileRegistryStore(dir.resolve("registry.json"));
    Definitions example = FeatureRepo.load(Path.of("..", "example"));

    RegistrySnapshot applied = RegistryPlan.between(store.load(), example).apply(store, T1, false);
    RegistrySnapshot reloaded = new LocalFileRegistryStore(dir.resolve("registry.json")).load();

    assertThat(reloaded.definitions().sameDefinitions(example)).isTrue();
    assertThat(reloaded.version()).isEqualTo(1);
    assertThat(reloaded.hash()).isEqualTo(applied.hash());
    assertThat(reloaded.history()).containsExactlyElementsOf(applied.history());
    assertThat(reloaded.definitions().views().get("driver_hourly_stats").location())
        .isEqualTo(new SourceLocation("driver.yaml", 14));
    assertThat(reloaded.currentVersion("driver_hourly_stats").fingerprint())
        .isEqualTo(applied.currentVersion("driver_hourly_stats").fingerprint());
  }

  @Test
  void shouldCreateTheNextSchemaVersionWhenAFeatureIsWidenedAndKeepTheOldOneReadable() {
    LocalFileRegistryStore store = new LocalFileRegistryStore(dir.resolve("registry.json"));
    RegistryPlan.between(store.load(), Examples.driver()).apply(store, T1, false);
    Definitions widened = RegistryPlanTest.with(v -> RegistryPlanTest.replaceFeature(v, "conv_rate", ValueType.FLOAT64));

    RegistryPlan.between(store.load(), widened).apply(store, T2, false);
    RegistrySnapshot s = store.load();

    assertThat(s.versions("driver_hourly_stats")).extracting(FeatureViewVersion::version, FeatureViewVersion::appliedAt)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(1, T1), org.assertj.core.groups.Tuple.tuple(2, T2));
    FeatureViewVersion v1 = s.version("driver_hourly_stats", 1);
    assertThat(s.byFingerprint(v1.fingerprint())).contains(v1);
    assertThat(v1.feature("conv_rate").orElseThrow().type()).isEqualTo(ValueType.FLOAT32);
    assertThat(s.currentVersion("driver_hourly_stats").feature("conv_rate").orElseThrow().type())
        .isEqualTo(ValueType.FLOAT64);
    assertThat(s.history()).extracting(HistoryEntry::registryVersion, HistoryEntry::appliedAt, HistoryEntry::summary)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(1L, T1,
                "+ entity driver, + source driver_stats_stream, + feature view driver_hourly_stats, "
                    + "+ feature service driver_ranking"),
            org.assertj.core.groups.Tuple.tuple(2L, T2, "~ feature view driver_hourly_stats"));
    // Avro itself agrees that v1 data is readable with v2's schema.
    assertThat(org.apache.avro.SchemaCompatibility.checkReaderWriterCompatibility(
        s.currentVersion("driver_hourly_stats").eventSchema(), v1.eventSchema()).getType())
        .isEqualTo(org.apache.avro.SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
  }

  @Test
  void shouldRefuseABreakingChangeToAViewThatARegisteredServiceUsesNamingTheService() {
    LocalFileRegistryStore store = new LocalFileRegistryStore(dir.resolve("registry.json"));
    Definitions withTwoServices = new Definitions(Examples.driver().entities(), Examples.driver().sources(),
        Examples.driver().views(), Map.of(
            "driver_ranking", Examples.driver().services().get("driver_ranking"),
            "eta_model", FeatureService.of("eta_model", "driver_hourly_stats:avg_daily_trips")));
    RegistryPlan.between(store.load(), withTwoServices).apply(store, T1, false);
    Definitions typeChanged = new Definitions(withTwoServices.entities(), withTwoServices.sources(),
        RegistryPlanTest.with(v -> RegistryPlanTest.replaceFeature(v, "conv_rate", ValueType.STRING)).views(),
        withTwoServices.services());

    assertThatThrownBy(() -> RegistryPlan.between(store.load(), typeChanged).apply(store, T2, false))
        .isInstanceOf(IncompatibleChangeException.class)
        .hasMessage("Cannot apply breaking change: feature view driver_hourly_stats (feature conv_rate FLOAT32 -> "
            + "STRING) is used by feature services driver_ranking, eta_model. Change those services in the same "
            + "apply, or pass --allow-breaking");
    assertThat(store.load().version()).isEqualTo(1);
  }

  @Test
  void shouldApplyABreakingChangeWhenTheSameApplyChangesTheServicesThatUseTheView() {
    LocalFileRegistryStore store = new LocalFileRegistryStore(dir.resolve("registry.json"));
    RegistryPlan.between(store.load(), Examples.driver()).apply(store, T1, false);
    Definitions removedAndServiceUpdated = RegistryPlanTest.withoutServiceAnd(
        v -> RegistryPlanTest.removeFeature(v, "acc_rate"));

    RegistryPlan plan = RegistryPlan.between(store.load(), removedAndServiceUpdated);
    RegistrySnapshot s = plan.apply(store, T2, false);

    assertThat(plan.hasBreakingChanges()).isTrue();
    assertThat(plan.refusals()).isEmpty();
    assertThat(s.version()).isEqualTo(2);
    assertThat(s.currentVersion("driver_hourly_stats").version()).isEqualTo(2);
  }

  @Test
  void shouldApplyABreakingChangeWhenAllowed() {
    LocalFileRegistryStore store = new LocalFileRegistryStore(dir.resolve("registry.json"));
    RegistryPlan.between(store.load(), Examples.driver()).apply(store, T1, false);
    Definitions typeChanged = RegistryPlanTest.with(v -> RegistryPlanTest.replaceFeature(v, "conv_rate", ValueType.STRING));

    RegistrySnapshot s = RegistryPlan.between(store.load(), typeChanged).apply(store, T2, true);

    assertThat(store.load().version()).isEqualTo(2);
    assertThat(s.currentVersion("driver_hourly_stats").feature("conv_rate").orElseThrow().type())
        .isEqualTo(ValueType.STRING);
  }

  @Test
  void shouldNotCommitAnEmptyPlan() {
    LocalFileRegistryStore store = new LocalFileRegistryStore(dir.resolve("registry.json"));
    RegistryPlan.between(store.load(), Examples.driver()).apply(store, T1, false);

    RegistrySnapshot s = RegistryPlan.between(store.load(), Examples.driver()).apply(store, T2, false);

    assertThat(s.version()).isEqualTo(1);
    assertThat(store.load().history()).hasSize(1);
  }

  @Test
  void shouldLoseNoUpdateWhenAPlanIsAppliedAfterAnotherApply() {
    LocalFileRegistryStore store = new LocalFileRegistryStore(dir.resolve("registry.json"));
    RegistrySnapshot base = store.load();
    RegistryPlan first = RegistryPlan.between(base, Examples.driver());
    RegistryPlan second = RegistryPlan.between(base, RegistryPlanTest.with(v -> v.withTtl(java.time.Duration.ofHours(5))));

    first.apply(store, T1, false);

    assertThatThrownBy(() -> second.apply(store, T2, false))
        .isInstanceOf(RegistryConflictException.class)
        .hasMessageContaining("registry changed since it was read; re-run plan");
    assertThat(store.load().definitions().sameDefinitions(Examples.driver())).isTrue();
  }
}
