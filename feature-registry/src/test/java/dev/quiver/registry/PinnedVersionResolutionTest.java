package dev.quiver.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A reference pinned to a version whose feature changed type later is refused by the registry's
 * resolution, the one place the online lookup and the export both take it from.
 */
class PinnedVersionResolutionTest {
  static Definitions rides(ValueType trips, ValueType rate, FeatureService... services) {
    Definitions.Builder b = Definitions.builder()
        .withEntity(Entity.builder("driver").withJoinKey("driver_id", ValueType.INT64).build())
        .withSource(Source.kafka("rides_stream", null))
        .withView(FeatureView.builder("rides").withEntity("driver").withSource("rides_stream")
            .withFeature("trips", trips).withFeature("rate", rate).withFeature("note", ValueType.STRING).build());
    for (FeatureService s : services) {
      b.withService(s);
    }
    return b.build();
  }

  static final RegistrySnapshot V1 = RegistrySnapshot.of(rides(ValueType.INT32, ValueType.FLOAT32));
  static final RegistrySnapshot V2 = V1.withDefinitions(rides(ValueType.INT64, ValueType.FLOAT64), Instant.EPOCH, "widen");

  @Test
  void shouldResolveAPinnedReferenceBeforeTheWidening() {
    List<ResolvedFeature> r = V1.resolveRefs(List.of("rides@v1:trips", "rides@v1:rate"));
    assertThat(r).extracting(f -> f.version().version()).containsExactly(1, 1);
    assertThat(r).extracting(f -> f.feature().type()).containsExactly(ValueType.INT32, ValueType.FLOAT32);
  }

  @Test
  void shouldRefuseAPinnedReferenceWhoseFeatureWasWidenedNamingVersionFeatureAndWhatToAskFor() {
    assertThatThrownBy(() -> V2.resolveRefs(List.of("rides@v1:trips")))
        .isExactlyInstanceOf(UserInputException.class)
        .hasMessage("Cannot resolve feature rides@v1:trips: it is INT32 in v1 but INT64 in v2, and values stored"
            + " since v2 cannot be read as v1; ask for rides:trips (the current version v2, INT64)");
    assertThatThrownBy(() -> V2.resolveRefs(List.of("rides@v1:rate")))
        .isExactlyInstanceOf(UserInputException.class)
        .hasMessage("Cannot resolve feature rides@v1:rate: it is FLOAT32 in v1 but FLOAT64 in v2, and values stored"
            + " since v2 cannot be read as v1; ask for rides:rate (the current version v2, FLOAT64)");
    assertThatThrownBy(() -> V2.resolve(List.of(FeatureRef.parse("rides@v1", true))))
        .isExactlyInstanceOf(UserInputException.class)
        .hasMessageStartingWith("Cannot resolve feature rides@v1:trips: ");
  }

  @Test
  void shouldKeepResolvingAPinnedFeatureWhoseTypeDidNotChangeAndTheCurrentAndLaterPins() {
    assertThat(V2.resolveRefs(List.of("rides@v1:note")).get(0).version().version()).isEqualTo(1);
    assertThat(V2.resolveRefs(List.of("rides@v2:trips")).get(0).feature().type()).isEqualTo(ValueType.INT64);
    assertThat(V2.resolveRefs(List.of("rides:trips")).get(0).version().version()).isEqualTo(2);
  }

  @Test
  void shouldNameTheLastVersionHoldingTheFeatureWhenTheCurrentOneDroppedIt() {
    Definitions noTrips = Definitions.builder()
        .withEntity(Entity.builder("driver").withJoinKey("driver_id", ValueType.INT64).build())
        .withSource(Source.kafka("rides_stream", null))
        .withView(FeatureView.builder("rides").withEntity("driver").withSource("rides_stream")
            .withFeature("rate", ValueType.FLOAT64).withFeature("note", ValueType.STRING).build())
        .build();
    RegistrySnapshot v3 = V2.withDefinitions(noTrips, Instant.EPOCH, "drop trips");

    assertThatThrownBy(() -> v3.resolveRefs(List.of("rides@v1:trips")))
        .hasMessageEndingWith("ask for rides@v2:trips (INT64)");
  }

  @Test
  void shouldRefuseToPlanAWideningUnderAServiceThatPinsTheOldVersion() {
    FeatureService svc = FeatureService.of("svc", "rides@v1:trips");
    RegistrySnapshot applied = RegistrySnapshot.of(rides(ValueType.INT32, ValueType.FLOAT32, svc));

    assertThatThrownBy(() -> RegistryPlan.between(applied, rides(ValueType.INT64, ValueType.FLOAT32, svc)))
        .isInstanceOf(InvalidDefinitionException.class)
        .hasMessageContaining("feature service svc references \"rides@v1:trips\", which cannot be read after this plan:"
            + " Cannot resolve feature rides@v1:trips: it is INT32 in v1 but INT64 in v2");
    assertThat(RegistryPlan.between(applied, rides(ValueType.INT32, ValueType.FLOAT64, svc)).isEmpty()).isFalse();
  }
}
