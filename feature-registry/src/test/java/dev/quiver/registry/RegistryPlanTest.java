package dev.quiver.registry;

import static dev.quiver.registry.RegistryPlan.Action.ADD;
import static dev.quiver.registry.RegistryPlan.Action.CHANGE;
import static dev.quiver.registry.RegistryPlan.Action.REMOVE;
import static dev.quiver.registry.RegistryPlan.Verdict.BREAKING;
import static dev.quiver.registry.RegistryPlan.Verdict.COMPATIBLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.registry.RegistryPlan.Change;
import dev.quiver.registry.RegistryPlan.Detail;
import dev.quiver.registry.RegistryPlan.Kind;
import java.time.Duration;
import java.time.Instant;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The plan for each kind of change, and its compatibility verdict. */
class RegistryPlanTest {
  private static final RegistrySnapshot APPLIED = RegistrySnapshot.empty()
      .withDefinitions(Examples.driver(), Instant.parse("2026-01-01T00:00:00Z"), "initial");

  @Test
  void shouldPlanEverythingAsAddedOnAnEmptyRegistry() {
    RegistryPlan plan = RegistryPlan.between(RegistrySnapshot.empty(), Examples.driver());

    assertThat(plan.changes()).extracting(Change::kind, Change::name, Change::action).containsExactly(
        org.assertj.core.groups.Tuple.tuple(Kind.ENTITY, "driver", ADD),
        org.assertj.core.groups.Tuple.tuple(Kind.SOURCE, "driver_stats_stream", ADD),
        org.assertj.core.groups.Tuple.tuple(Kind.FEATURE_VIEW, "driver_hourly_stats", ADD),
        org.assertj.core.groups.Tuple.tuple(Kind.FEATURE_SERVICE, "driver_ranking", ADD));
    assertThat(plan.hasBreakingChanges()).isFalse();
    assertThat(plan.render())
        .contains("  + feature view driver_hourly_stats  (schema v1)")
        .contains("Plan: 4 to add, 0 to change, 0 to remove; 0 breaking.");
  }

  @Test
  void shouldPlanNothingWhenTheDefinitionsAreUnchanged() {
    RegistryPlan plan = RegistryPlan.between(APPLIED, Examples.driver());

    assertThat(plan.isEmpty()).isTrue();
    assertThat(plan.render()).isEqualTo("No changes. The registry (version 1) matches the definitions.\n");
  }

  @Test
  void shouldMarkAnAddedFeatureCompatibleWithANewSchemaVersion() {
    Change c = viewChange(v -> v.withFeature("trips_today", ValueType.INT32));

    assertThat(c.action()).isEqualTo(CHANGE);
    assertThat(c.schema()).isEqualTo("schema v1 -> v2");
    assertThat(c.details()).containsExactly(new Detail(ADD, "feature trips_today INT32", COMPATIBLE,
        "new nullable feature; older events read it as null"));
  }

  @Test
  void shouldMarkWideningCompatible() {
    Change floats = viewChange(v -> replaceFeature(v, "conv_rate", ValueType.FLOAT64));
    assertThat(floats.verdict()).isEqualTo(COMPATIBLE);
    assertThat(floats.details()).extracting(Detail::what).containsExactly("feature conv_rate FLOAT32 -> FLOAT64");

    RegistrySnapshot ints = RegistrySnapshot.of(with(v -> replaceFeature(v, "avg_daily_trips", ValueType.INT32)));
    Change widenInt = RegistryPlan.between(ints, Examples.driver()).change(Kind.FEATURE_VIEW, "driver_hourly_stats")
        .orElseThrow();
    assertThat(widenInt.verdict()).isEqualTo(COMPATIBLE);
    assertThat(widenInt.details().get(0).reason()).contains("Avro promotes older INT32 values to INT64");
  }

  @Test
  void shouldMarkNarrowingAndOtherTypeChangesBreaking() {
    Change narrow = viewChange(v -> replaceFeature(v, "avg_daily_trips", ValueType.INT32));
    assertThat(narrow.verdict()).isEqualTo(BREAKING);
    assertThat(narrow.details().get(0).reason()).startsWith("narrowing");

    Change other = viewChange(v -> replaceFeature(v, "conv_rate", ValueType.STRING));
    assertThat(other.verdict()).isEqualTo(BREAKING);
    assertThat(other.details().get(0).what()).isEqualTo("feature conv_rate FLOAT32 -> STRING");
  }

  @Test
  void shouldMarkARemovedFeatureBreaking() {
    Definitions next = withoutServiceAnd(v -> removeFeature(v, "avg_daily_trips"));

    Change c = RegistryPlan.between(APPLIED, next).change(Kind.FEATURE_VIEW, "driver_hourly_stats").orElseThrow();

    assertThat(c.verdict()).isEqualTo(BREAKING);
    assertThat(c.details()).containsExactly(new Detail(REMOVE, "feature avg_daily_trips INT64", BREAKING,
        "readers of driver_hourly_stats:avg_daily_trips find nothing"));
  }

  @Test
  void shouldRecognizeARenamedFeatureAsBreaking() {
    Definitions next = withoutServiceAnd(v -> renameFeature(v, "avg_daily_trips", "daily_trips"));

    Change c = RegistryPlan.between(APPLIED, next).change(Kind.FEATURE_VIEW, "driver_hourly_stats").orElseThrow();

    assertThat(c.details()).extracting(Detail::what, Detail::verdict)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("feature avg_daily_trips renamed to daily_trips", BREAKING));
  }

  @Test
  void shouldMarkJoinKeyChangesThroughTheEntityBreakingForEveryViewOfIt() {
    Definitions d = Examples.driver();
    Definitions next = Definitions.builder()
        .withEntity(Entity.builder("driver").withJoinKey("driver_id", ValueType.STRING).build())
        .withSource(d.sources().get("driver_stats_stream"))
        .withView(d.views().get("driver_hourly_stats"))
        .withService(d.services().get("driver_ranking"))
        .build();

    RegistryPlan plan = RegistryPlan.between(APPLIED, next);

    Change entity = plan.change(Kind.ENTITY, "driver").orElseThrow();
    assertThat(entity.verdict()).isEqualTo(BREAKING);
    assertThat(entity.details()).extracting(Detail::what)
        .contains("join keys [driver_id INT64] -> [driver_id STRING]", "description \"A driver of the ride-hailing "
            + "service\" -> (none)");
    Change view = plan.change(Kind.FEATURE_VIEW, "driver_hourly_stats").orElseThrow();
    assertThat(view.verdict()).isEqualTo(BREAKING);
    assertThat(view.schema()).isEqualTo("schema v1 -> v2");
  }

  @Test
  void shouldMarkChangedEntitiesOfAViewBreaking() {
    Definitions next = Definitions.builder()
        .withEntity(Examples.driver().entities().get("driver"))
        .withEntity(Entity.builder("rider").withJoinKey("rider_id", ValueType.INT64).build())
        .withSource(Examples.driver().sources().get("driver_stats_stream"))
        .withView(Examples.driver().views().get("driver_hourly_stats").toBuilder().withEntity("rider").build())
        .withService(Examples.driver().services().get("driver_ranking"))
        .build();

    Change c = RegistryPlan.between(APPLIED, next).change(Kind.FEATURE_VIEW, "driver_hourly_stats").orElseThrow();

    assertThat(c.details()).extracting(Detail::what, Detail::verdict).containsExactly(
        org.assertj.core.groups.Tuple.tuple("entities [driver] -> [driver, rider]", BREAKING),
        org.assertj.core.groups.Tuple.tuple("join keys [driver_id INT64] -> [driver_id INT64, rider_id INT64]", BREAKING));
  }

  @Test
  void shouldMarkMetadataChangesCompatibleWithoutANewSchemaVersion() {
    Change c = viewChange(v -> v.withTtl(Duration.ofHours(3)).withDescription("Per hour").withOwner("me@example.com")
        .withTag("tier", "gold").withOnline(false).withOffline(true));

    assertThat(c.verdict()).isEqualTo(COMPATIBLE);
    assertThat(c.schema()).isEmpty();
    assertThat(c.details()).extracting(Detail::what).containsExactly(
        "ttl 2h -> 3h",
        "online true -> false",
        "owner \"ml-platform@example.com\" -> \"me@example.com\"",
        "tags {team=drivers} -> {team=drivers, tier=gold}",
        "description \"Hourly driver statistics\" -> \"Per hour\"");
  }

  @Test
  void shouldMarkARemovedViewAndARemovedServiceBreaking() {
    Definitions next = Definitions.builder()
        .withEntity(Examples.driver().entities().get("driver"))
        .build();

    RegistryPlan plan = RegistryPlan.between(APPLIED, next);

    assertThat(plan.changes()).extracting(Change::kind, Change::action, Change::verdict).containsExactly(
        org.assertj.core.groups.Tuple.tuple(Kind.SOURCE, REMOVE, COMPATIBLE),
        org.assertj.core.groups.Tuple.tuple(Kind.FEATURE_VIEW, REMOVE, BREAKING),
        org.assertj.core.groups.Tuple.tuple(Kind.FEATURE_SERVICE, REMOVE, BREAKING));
    assertThat(plan.render())
        .contains("  - feature view driver_hourly_stats  [BREAKING]")
        .contains("Plan: 0 to add, 0 to change, 3 to remove; 2 breaking.");
  }

  @Test
  void shouldPlanServiceChanges() {
    Definitions next = Definitions.builder()
        .withEntity(Examples.driver().entities().get("driver"))
        .withSource(Examples.driver().sources().get("driver_stats_stream"))
        .withView(Examples.driver().views().get("driver_hourly_stats"))
        .withService(FeatureService.of("driver_ranking", "driver_hourly_stats:conv_rate",
            "driver_hourly_stats:avg_daily_trips"))
        .build();

    Change c = RegistryPlan.between(APPLIED, next).change(Kind.FEATURE_SERVICE, "driver_ranking").orElseThrow();

    assertThat(c.details()).extracting(Detail::action, Detail::what, Detail::verdict).containsExactly(
        org.assertj.core.groups.Tuple.tuple(REMOVE, "feature driver_hourly_stats:acc_rate", BREAKING),
        org.assertj.core.groups.Tuple.tuple(ADD, "feature driver_hourly_stats:avg_daily_trips", COMPATIBLE));
  }

  @Test
  void shouldPrintLikeTerraform() {
    RegistryPlan plan = RegistryPlan.between(APPLIED, with(v -> replaceFeature(v, "conv_rate", ValueType.STRING)
        .withFeature("trips_today", ValueType.INT64)));

    assertThat(plan.render()).isEqualTo(String.join("\n",
        "Quiver will make these changes to the registry (version 1 -> 2):",
        "",
        "  ~ feature view driver_hourly_stats  (schema v1 -> v2)  [BREAKING]",
        "      ~ feature conv_rate FLOAT32 -> STRING    BREAKING: type change; stored FLOAT32 values cannot be read "
            + "as STRING",
        "      + feature trips_today INT64    compatible: new nullable feature; older events read it as null",
        "",
        "Plan: 0 to add, 1 to change, 0 to remove; 1 breaking.",
        "",
        "Apply will refuse this plan without --allow-breaking:",
        "  feature view driver_hourly_stats is used by feature service driver_ranking",
        ""));
  }

  @Test
  void shouldAcceptAPinnedVersionThatExistsAndRejectOneThatDoesNot() {
    Definitions pinned = new Definitions(Examples.driver().entities(), Examples.driver().sources(),
        Examples.driver().views(), java.util.Map.of("svc", FeatureService.of("svc", "driver_hourly_stats@v1:conv_rate")));
    assertThat(RegistryPlan.between(APPLIED, pinned).change(Kind.FEATURE_SERVICE, "svc")).isPresent();

    Definitions future = new Definitions(Examples.driver().entities(), Examples.driver().sources(),
        Examples.driver().views(), java.util.Map.of("svc", FeatureService.of("svc", "driver_hourly_stats@v2:conv_rate")));
    assertThatThrownBy(() -> RegistryPlan.between(APPLIED, future))
        .isInstanceOf(InvalidDefinitionException.class)
        .hasMessage("feature service svc references \"driver_hourly_stats@v2:conv_rate\", which does not exist: "
            + "Cannot find feature view version: driver_hourly_stats@v2");
  }

  @Test
  void shouldRefuseToPlanInvalidDefinitions() {
    Definitions bad = with(v -> v.withFeature("event_timestamp", ValueType.TIMESTAMP));

    assertThatThrownBy(() -> RegistryPlan.between(APPLIED, bad))
        .isInstanceOf(InvalidDefinitionException.class)
        .hasMessageContaining("feature \"event_timestamp\" of feature view driver_hourly_stats uses a reserved column");
  }

  // ---- helpers: the driver example with its view changed ----

  private static Change viewChange(UnaryOperator<FeatureView.Builder> change) {
    return RegistryPlan.between(APPLIED, with(change)).change(Kind.FEATURE_VIEW, "driver_hourly_stats").orElseThrow();
  }

  static Definitions with(UnaryOperator<FeatureView.Builder> change) {
    Definitions d = Examples.driver();
    return Definitions.builder()
        .withEntity(d.entities().get("driver"))
        .withSource(d.sources().get("driver_stats_stream"))
        .withView(change.apply(d.views().get("driver_hourly_stats").toBuilder()).build())
        .withService(d.services().get("driver_ranking"))
        .build();
  }

  /** The view changed, and the service no longer referencing single features (it takes the whole view). */
  static Definitions withoutServiceAnd(UnaryOperator<FeatureView.Builder> change) {
    Definitions d = with(change);
    return new Definitions(d.entities(), d.sources(), d.views(),
        java.util.Map.of("driver_ranking", FeatureService.of("driver_ranking", "driver_hourly_stats")));
  }

  static FeatureView.Builder replaceFeature(FeatureView.Builder b, String name, ValueType type) {
    FeatureView v = b.build();
    FeatureView.Builder out = FeatureView.builder(v.name());
    v.entities().forEach(out::withEntity);
    v.features().forEach(f -> out.withFeature(f.name().equals(name) ? new Feature(name, type) : f));
    return out.withSource(v.source()).withTtl(v.ttl()).withOwner(v.owner()).withTags(v.tags())
        .withDescription(v.description());
  }

  static FeatureView.Builder removeFeature(FeatureView.Builder b, String name) {
    FeatureView v = b.build();
    FeatureView.Builder out = FeatureView.builder(v.name());
    v.entities().forEach(out::withEntity);
    v.features().stream().filter(f -> !f.name().equals(name)).forEach(out::withFeature);
    return out.withSource(v.source()).withTtl(v.ttl()).withOwner(v.owner()).withTags(v.tags())
        .withDescription(v.description());
  }

  static FeatureView.Builder renameFeature(FeatureView.Builder b, String from, String to) {
    FeatureView v = b.build();
    FeatureView.Builder out = FeatureView.builder(v.name());
    v.entities().forEach(out::withEntity);
    v.features().forEach(f -> out.withFeature(f.name().equals(from) ? new Feature(to, f.type()) : f));
    return out.withSource(v.source()).withTtl(v.ttl()).withOwner(v.owner()).withTags(v.tags())
        .withDescription(v.description());
  }
}
