package dev.quiver.online;

import static dev.quiver.online.Fixtures.CUSTOMER_VIEW;
import static dev.quiver.online.Fixtures.DRIVER_VIEW;
import static dev.quiver.online.Fixtures.T0;
import static dev.quiver.online.Fixtures.driver;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.registry.Definitions;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.NoSuchFeatureViewException;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.ResolvedFeature;
import dev.quiver.registry.Timestamps;
import dev.quiver.registry.UserInputException;
import dev.quiver.registry.ValueType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnlineStoreTest {
  @TempDir
  Path dir;
  RegistrySnapshot registry = Fixtures.registry();
  OnlineStore store;

  @BeforeEach
  void open() {
    store = OnlineStore.open(dir, registry);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private OnlineFeatures getDriver(Instant now, Object... ids) {
    return store.get(List.of(DRIVER_VIEW + ":conv_rate", DRIVER_VIEW + ":acc_rate", DRIVER_VIEW + ":avg_daily_trips"),
        Map.of("driver_id", Arrays.asList(ids)), now);
  }

  @Test
  void shouldReturnStoredValuesWithTheirEventTimeInRequestOrder() {
    store.write(List.of(driver(1001, T0, 1, 0.5f), driver(1002, T0.plusSeconds(5), 2, 0.25f)), Map.of());

    OnlineFeatures r = getDriver(T0.plusSeconds(60), 1002L, 1001L);

    assertThat(r.entityCount()).isEqualTo(2);
    assertThat(r.value(0, 0)).isEqualTo(new FeatureValue(0.25f, FeatureStatus.PRESENT, T0.plusSeconds(5)));
    assertThat(r.value(0, 2)).isEqualTo(new FeatureValue(2L, FeatureStatus.PRESENT, T0.plusSeconds(5)));
    assertThat(r.value(1, 0)).isEqualTo(new FeatureValue(0.5f, FeatureStatus.PRESENT, T0));
    assertThat(r.value(1, 1).value()).isEqualTo(0.5f);
  }

  @Test
  void shouldReportNotFoundForUnknownEntityAndForAViewNeverWritten() {
    store.write(List.of(driver(1001, T0, 1, 0.5f)), Map.of());

    OnlineFeatures r = getDriver(T0, 1001L, 9999L);
    assertThat(r.value(1, 0)).isEqualTo(FeatureValue.NOT_FOUND);
    assertThat(r.value(1, 2)).isEqualTo(FeatureValue.NOT_FOUND);

    OnlineFeatures c = store.get(List.of(CUSTOMER_VIEW + ":age"), Map.of("customer_id", List.of("c1")), T0);
    assertThat(c.value(0, 0).status()).isEqualTo(FeatureStatus.NOT_FOUND);
  }

  @Test
  void shouldReportNullValueForAFeatureWithoutValue() {
    store.write(List.of(driver(1001, T0, FeatureEvent.NO_CREATED_TIME, 1, 0.5f, null, 3L)), Map.of());

    OnlineFeatures r = getDriver(T0, 1001L);

    assertThat(r.value(0, 1)).isEqualTo(new FeatureValue(null, FeatureStatus.NULL_VALUE, T0));
    assertThat(r.value(0, 2).status()).isEqualTo(FeatureStatus.PRESENT);
  }

  @Test
  void shouldKeepNewerValueWhenOlderEventArrivesInALaterBatch() {
    store.write(List.of(driver(1001, T0.plusSeconds(10), 5, 0.9f)), Map.of());
    store.write(List.of(driver(1001, T0, 6, 0.1f)), Map.of());

    assertThat(getDriver(T0.plusSeconds(20), 1001L).value(0, 0).value()).isEqualTo(0.9f);
  }

  @Test
  void shouldKeepTheSupersedingEventOfOneBatchWhateverItsPosition() {
    store.write(List.of(
        driver(1001, T0.plusSeconds(10), 1, 0.9f),
        driver(1001, T0, 2, 0.1f),
        driver(1001, T0.plusSeconds(5), 3, 0.5f)), Map.of());

    assertThat(getDriver(T0.plusSeconds(20), 1001L).value(0, 0))
        .isEqualTo(new FeatureValue(0.9f, FeatureStatus.PRESENT, T0.plusSeconds(10)));
  }

  @Test
  void shouldBreakEventTimeTiesByCreatedTimeThenOffset() {
    long created = Timestamps.toMicros(T0.plusSeconds(1));
    store.write(List.of(driver(1001, T0, created, 100, 0.3f, null, null)), Map.of());
    // same event time, smaller created time but larger offset: created time decides, it loses
    store.write(List.of(driver(1001, T0, created - 1, 200, 0.4f, null, null)), Map.of());
    assertThat(getDriver(T0, 1001L).value(0, 0).value()).isEqualTo(0.3f);
    // same event and created time, larger offset: it wins
    store.write(List.of(driver(1001, T0, created, 101, 0.6f, null, null)), Map.of());
    assertThat(getDriver(T0, 1001L).value(0, 0).value()).isEqualTo(0.6f);
    // a missing created time compares as the smallest
    store.write(List.of(driver(1001, T0, FeatureEvent.NO_CREATED_TIME, 999, 0.7f, null, null)), Map.of());
    assertThat(getDriver(T0, 1001L).value(0, 0).value()).isEqualTo(0.6f);
  }

  @Test
  void shouldServeTheCurrentValueUntilAnAcceptedEventsTimeComesThenTheNewOne() {
    store.close();
    // the write happens at T0: the event at T0 + 3s is accepted but still ahead
    store = OnlineStore.builder(dir, registry).withClock(java.time.Clock.fixed(T0, java.time.ZoneOffset.UTC)).open();
    store.write(List.of(driver(1001, T0.minusSeconds(60), 1, 0.5f)), Map.of());
    store.write(List.of(driver(1001, T0.plusSeconds(3), 2, 0.9f)), Map.of());
    // an entity whose only event is ahead has no value yet, as the join at t = now has none
    store.write(List.of(driver(1002, T0.plusSeconds(3), 3, 0.7f)), Map.of());

    assertThat(getDriver(T0, 1001L).value(0, 0))
        .isEqualTo(new FeatureValue(0.5f, FeatureStatus.PRESENT, T0.minusSeconds(60)));
    assertThat(getDriver(T0.plusSeconds(3).minusNanos(1000), 1001L).value(0, 0).value()).isEqualTo(0.5f);
    assertThat(getDriver(T0.plusSeconds(3), 1001L).value(0, 0))
        .isEqualTo(new FeatureValue(0.9f, FeatureStatus.PRESENT, T0.plusSeconds(3)));
    assertThat(getDriver(T0, 1002L).value(0, 0)).isEqualTo(FeatureValue.NOT_FOUND);
    assertThat(getDriver(T0.plusSeconds(3), 1002L).value(0, 0).value()).isEqualTo(0.7f);
  }

  @Test
  void shouldTreatAValueExactlyTtlOldAsPresentAndOneMicrosecondOlderAsOutsideMaxAge() {
    store.write(List.of(driver(1001, T0, 1, 0.5f)), Map.of());
    Duration ttl = Fixtures.driverTtl();

    FeatureValue atTtl = getDriver(T0.plus(ttl), 1001L).value(0, 0);
    FeatureValue past = getDriver(T0.plus(ttl).plusNanos(1_000), 1001L).value(0, 0);

    assertThat(atTtl).isEqualTo(new FeatureValue(0.5f, FeatureStatus.PRESENT, T0));
    assertThat(past).isEqualTo(new FeatureValue(null, FeatureStatus.OUTSIDE_MAX_AGE, T0));
  }

  @Test
  void shouldNeverExpireValuesOfAViewWithoutTtl() {
    store.write(List.of(customer("c1", 30, "gold", T0, 1)), Map.of());

    FeatureValue v = store.get(List.of(CUSTOMER_VIEW + ":age"), Map.of("customer_id", List.of("c1")),
        T0.plus(Duration.ofDays(3650))).value(0, 0);

    assertThat(v).isEqualTo(new FeatureValue(30, FeatureStatus.PRESENT, T0));
  }

  @Test
  void shouldRoundTripEveryValueType() {
    Instant signup = Instant.parse("2020-01-02T03:04:05.123456Z");
    store.write(List.of(new FeatureEvent(CUSTOMER_VIEW, 1, List.of("c1"), Timestamps.toMicros(T0),
        FeatureEvent.NO_CREATED_TIME, 0, 1,
        Arrays.asList(41, "silver", List.of(1.5, -2.25), signup, "hi".getBytes(StandardCharsets.UTF_8)))), Map.of());

    OnlineFeatures r = store.get(List.of(CUSTOMER_VIEW + ":age", CUSTOMER_VIEW + ":segment", CUSTOMER_VIEW + ":scores",
        CUSTOMER_VIEW + ":signup", CUSTOMER_VIEW + ":avatar"), Map.of("customer_id", List.of("c1")), T0);

    assertThat(r.value(0, 0).value()).isEqualTo(41);
    assertThat(r.value(0, 1).value()).isEqualTo("silver");
    assertThat(r.value(0, 2).value()).isEqualTo(List.of(1.5, -2.25));
    assertThat(r.value(0, 3).value()).isEqualTo(signup);
    assertThat((byte[]) r.value(0, 4).value()).isEqualTo("hi".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void shouldLookUpViewsOfDifferentEntitiesEachWithItsOwnJoinKey() {
    store.write(List.of(driver(1001, T0, 1, 0.5f), customer("c9", 50, "gold", T0, 1)), Map.of());

    List<ResolvedFeature> fs = registry.resolveRefs(List.of(CUSTOMER_VIEW + ":segment", DRIVER_VIEW + ":conv_rate"));
    OnlineFeatures cols = store.get(fs, EntityRows.columns(Map.of("driver_id", List.of(1001L, 1002L),
        "customer_id", List.of("c9", "c9"))), T0);
    OnlineFeatures rows = store.get(fs, EntityRows.rows(List.of(Map.of("driver_id", 1001L, "customer_id", "c9"),
        Map.of("driver_id", 1002L, "customer_id", "c9"))), T0);

    for (OnlineFeatures r : List.of(cols, rows)) {
      assertThat(r.value(0, 0).value()).isEqualTo("gold");
      assertThat(r.value(0, 1).value()).isEqualTo(0.5f);
      assertThat(r.value(1, 0).value()).isEqualTo("gold");
      assertThat(r.value(1, 1).status()).isEqualTo(FeatureStatus.NOT_FOUND);
    }
  }

  @Test
  void shouldReadAValueWrittenUnderV1AsV2WithAddedFeatureNullAndWidenedType() {
    RegistrySnapshot v1 = RegistrySnapshot.of(evolving(false));
    RegistrySnapshot v2 = v1.withDefinitions(evolving(true), T0, "widen trips, add rating");
    assertThat(v2.currentVersion("trips").version()).isEqualTo(2);
    store.useRegistry(v1);
    store.write(List.of(new FeatureEvent("trips", 1, List.of(7L), Timestamps.toMicros(T0),
        FeatureEvent.NO_CREATED_TIME, 0, 1, Arrays.asList(12, "x"))), Map.of());
    store.useRegistry(v2);

    OnlineFeatures r = store.get(v2.resolveRefs(List.of("trips:count", "trips:rating", "trips:label")),
        EntityRows.of("driver_id", List.of(7L)), T0);

    assertThat(r.value(0, 0)).isEqualTo(new FeatureValue(12L, FeatureStatus.PRESENT, T0));
    assertThat(r.value(0, 1)).isEqualTo(new FeatureValue(null, FeatureStatus.NULL_VALUE, T0));
    assertThat(r.value(0, 2).value()).isEqualTo("x");
    // a v2 event then replaces it and reads back natively
    store.write(List.of(new FeatureEvent("trips", 2, List.of(7L), Timestamps.toMicros(T0.plusSeconds(1)),
        FeatureEvent.NO_CREATED_TIME, 0, 2, Arrays.asList(5_000_000_000L, "y", 4.5))), Map.of());
    OnlineFeatures r2 = store.get(v2.resolveRefs(List.of("trips:count", "trips:rating")),
        EntityRows.of("driver_id", List.of(7L)), T0.plusSeconds(1));
    assertThat(r2.value(0, 0).value()).isEqualTo(5_000_000_000L);
    assertThat(r2.value(0, 1).value()).isEqualTo(4.5);
  }

  private static Definitions evolving(boolean v2) {
    Definitions base = Fixtures.definitions();
    FeatureView.Builder view = FeatureView.builder("trips").withEntity("driver").withSource("driver_stats_stream")
        .withFeature("count", v2 ? ValueType.INT64 : ValueType.INT32)
        .withFeature("label", ValueType.STRING);
    if (v2) {
      view.withFeature("rating", ValueType.FLOAT64);
    }
    Definitions.Builder b = Definitions.builder();
    base.entities().values().forEach(b::withEntity);
    base.sources().values().forEach(b::withSource);
    return b.withView(view.build()).build();
  }

  @Test
  void shouldLookUpTheFeaturesOfAFeatureService() {
    store.write(List.of(driver(1001, T0, 1, 0.5f)), Map.of());

    OnlineFeatures r = store.getService("driver_ranking", EntityRows.of("driver_id", List.of(1001L)), T0);

    assertThat(r.features()).extracting(ResolvedFeature::fullName)
        .containsExactly(DRIVER_VIEW + ":conv_rate", DRIVER_VIEW + ":acc_rate");
    assertThat(r.value(0, 1).value()).isEqualTo(0.5f);
    assertThatThrownBy(() -> store.getService("ghost", EntityRows.of("driver_id", List.of(1L)), T0))
        .isInstanceOf(dev.quiver.registry.NoSuchFeatureServiceException.class).hasMessageContaining("ghost");
  }

  @Test
  void shouldNameTheMissingJoinKeyColumn() {
    assertThatThrownBy(() -> store.get(List.of(CUSTOMER_VIEW + ":age", DRIVER_VIEW + ":conv_rate"),
        Map.of("driver_id", List.of(1L)), T0))
        .isInstanceOf(UserInputException.class)
        .hasMessageContaining("entities.customer_id is missing")
        .hasMessageContaining(CUSTOMER_VIEW);
  }

  @Test
  void shouldNameTheEntityValueOfTheWrongType() {
    assertThatThrownBy(() -> getDriver(T0, 1L, "abc"))
        .isInstanceOf(UserInputException.class)
        .hasMessage("Cannot get online features: entities.driver_id[1]: expected INT64 but got string \"abc\"");
  }

  @Test
  void shouldRejectEntityColumnsOfDifferentLengths() {
    Map<String, List<?>> columns = new java.util.LinkedHashMap<>();
    columns.put("driver_id", List.of(1L, 2L));
    columns.put("customer_id", List.of("a"));
    assertThatThrownBy(() -> EntityRows.columns(columns))
        .isInstanceOf(UserInputException.class)
        .hasMessage("Cannot read entities: entities.customer_id has 1 values but entities.driver_id has 2"
            + " (every join key needs one value per entity)");
  }

  @Test
  void shouldRejectAWholeBatchWithAnInvalidEventAndWriteNothing() {
    FeatureEvent bad = new FeatureEvent(DRIVER_VIEW, 1, List.of(1002L), Timestamps.toMicros(T0),
        FeatureEvent.NO_CREATED_TIME, 0, 8, Arrays.asList("fast", null, null));

    assertThatThrownBy(() -> store.write(List.of(driver(1001, T0, 7, 0.5f), bad), Map.of("offsets", new byte[] {1})))
        .isInstanceOf(UserInputException.class)
        .hasMessageContaining("feature view " + DRIVER_VIEW + " at offset 8: feature conv_rate");
    assertThat(getDriver(T0, 1001L).value(0, 0).status()).isEqualTo(FeatureStatus.NOT_FOUND);
    assertThat(store.readMeta("offsets")).isEmpty();
  }

  @Test
  void shouldRejectAnEventOfAnUnknownView() {
    FeatureEvent e = new FeatureEvent("nope", 1, List.of(1L), 0, 0, 0, 0, List.of());
    assertThatThrownBy(() -> store.write(List.of(e), Map.of()))
        .isInstanceOf(NoSuchFeatureViewException.class).hasMessageContaining("nope");
  }

  @Test
  void shouldStoreMetadataWithTheBatchAndKeepBothAcrossReopen() {
    store.write(List.of(driver(1001, T0, 1, 0.5f)), Map.of("offsets.driver", "p0=1".getBytes(StandardCharsets.UTF_8)));
    store.write(List.of(), Map.of("offsets.driver", "p0=2".getBytes(StandardCharsets.UTF_8)));
    store.close();

    store = OnlineStore.open(dir, registry);

    assertThat(store.readMeta("offsets.driver")).hasValueSatisfying(
        b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("p0=2"));
    assertThat(store.readMeta("absent")).isEmpty();
    assertThat(getDriver(T0, 1001L).value(0, 0).value()).isEqualTo(0.5f);
  }

  @Test
  void shouldRejectEveryCallAfterCloseWithAClearMessage() {
    store.close();
    store.close();

    assertThat(store.isClosed()).isTrue();
    assertThatThrownBy(() -> getDriver(T0, 1L)).isInstanceOf(StoreClosedException.class)
        .hasMessageContaining("is closed").hasMessageContaining(dir.toString());
    assertThatThrownBy(() -> store.write(List.of(driver(1, T0, 1, 0.1f)), Map.of()))
        .isInstanceOf(StoreClosedException.class);
    assertThatThrownBy(() -> store.readMeta("x")).isInstanceOf(StoreClosedException.class);
  }

  static FeatureEvent customer(String id, int age, String segment, Instant t, long offset) {
    return new FeatureEvent(CUSTOMER_VIEW, 1, List.of(id), Timestamps.toMicros(t), FeatureEvent.NO_CREATED_TIME, 0,
        offset, Arrays.asList(age, segment, null, null, null));
  }
}
