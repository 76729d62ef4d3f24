package dev.quiver.online.internal;

import static dev.quiver.online.Fixtures.DRIVER_VIEW;
import static dev.quiver.online.Fixtures.T0;
import static dev.quiver.online.Fixtures.golden;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.online.EntityRows;
import dev.quiver.online.FeatureStatus;
import dev.quiver.online.FeatureValue;
import dev.quiver.online.Fixtures;
import dev.quiver.online.OnlineFeatures;
import dev.quiver.registry.EntityKeyCodec;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.QuiverException;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Timestamps;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Pins the persisted key and value layouts to golden bytes in src/test/resources/golden. */
class ValueLayoutGoldenTest {
  @TempDir
  Path dir;
  RegistrySnapshot registry = Fixtures.registry();
  RocksDbCore core;
  StoreEngine engine;

  @BeforeEach
  void open() {
    core = RocksDbCore.open(dir, 8 << 20, false);
    engine = new StoreEngine(core, registry);
  }

  @AfterEach
  void close() {
    core.close();
  }

  private static FeatureEvent goldenEvent() {
    return new FeatureEvent(DRIVER_VIEW, 1, List.of(1001L), Timestamps.toMicros(T0),
        Timestamps.toMicros(T0.plusSeconds(1)), 2, 42, Arrays.asList(0.5f, null, 7L));
  }

  /** Supersedes the golden event; its time is 5 s after it. */
  private static FeatureEvent futureEvent() {
    return new FeatureEvent(DRIVER_VIEW, 1, List.of(1001L), Timestamps.toMicros(T0.plusSeconds(5)),
        FeatureEvent.NO_CREATED_TIME, 2, 43, Arrays.asList(0.75f, null, 8L));
  }

  private static long micros(Instant t) {
    return Timestamps.toMicros(t);
  }

  private byte[] storedValue() {
    try (RocksDbCore.CoreIterator it = core.iterator(DRIVER_VIEW)) {
      assertThat(it.next()).isTrue();
      assertThat(it.key()).isEqualTo(golden("driver-key-v1.hex"));
      byte[] v = it.value();
      assertThat(it.next()).isFalse();
      return v;
    }
  }

  private OnlineFeatures read(Instant now) {
    return engine.get(registry.resolveRefs(List.of(DRIVER_VIEW + ":conv_rate", DRIVER_VIEW + ":acc_rate",
        DRIVER_VIEW + ":avg_daily_trips")), EntityRows.of("driver_id", List.of(1001L)), now);
  }

  private void store(String goldenValue) {
    core.write(Map.of(DRIVER_VIEW, Map.of(new ByteKey(golden("driver-key-v1.hex")), golden(goldenValue))), Map.of());
  }

  @Test
  void shouldStoreExactlyTheGoldenKeyAndValueBytes() {
    engine.write(List.of(goldenEvent()), Map.of(), micros(T0.plusSeconds(60)));

    assertThat(storedValue()).isEqualTo(golden("driver-value-v2.hex"));
  }

  @Test
  void shouldStoreAnEventStillAheadBesideTheCurrentOneAsTheGoldenTwoEntryValue() {
    engine.write(List.of(futureEvent(), goldenEvent()), Map.of(), micros(T0));

    assertThat(storedValue()).isEqualTo(golden("driver-value-v2-future.hex"));
  }

  @Test
  void shouldDropTheSupersededEntryOnceTheLaterOnesTimeHasCome() {
    engine.write(List.of(goldenEvent(), futureEvent()), Map.of(), micros(T0));
    // a late event that both supersede, written after the future one's time came
    engine.write(List.of(new FeatureEvent(DRIVER_VIEW, 1, List.of(1001L), micros(T0.minusSeconds(1)),
        FeatureEvent.NO_CREATED_TIME, 2, 41, Arrays.asList(0.1f, null, 1L))), Map.of(), micros(T0.plusSeconds(5)));

    List<ValueCodec.Entry> entries = ValueCodec.entries(DRIVER_VIEW, storedValue());
    assertThat(entries).extracting(e -> e.header().offset()).containsExactly(43L);
  }

  @Test
  void shouldReadTheVersion1GoldenValueBack() {
    byte[] key = golden("driver-key-v1.hex");
    assertThat(EntityKeyCodec.decode(registry.joinKeys(DRIVER_VIEW), key)).containsExactly(1001L);
    store("driver-value-v1.hex");

    OnlineFeatures r = read(T0);

    assertThat(r.value(0, 0)).isEqualTo(new FeatureValue(0.5f, FeatureStatus.PRESENT, T0));
    assertThat(r.value(0, 1)).isEqualTo(new FeatureValue(null, FeatureStatus.NULL_VALUE, T0));
    assertThat(r.value(0, 2)).isEqualTo(new FeatureValue(7L, FeatureStatus.PRESENT, T0));
    assertThat(ValueCodec.entries(DRIVER_VIEW, golden("driver-value-v1.hex")))
        .extracting(ValueCodec.Entry::header)
        .containsExactly(new ValueCodec.Header(micros(T0), micros(T0.plusSeconds(1)), 2, 42, 1));
  }

  @Test
  void shouldReadTheVersion2GoldenValuesBackAtEachNow() {
    store("driver-value-v2.hex");
    assertThat(read(T0).value(0, 2)).isEqualTo(new FeatureValue(7L, FeatureStatus.PRESENT, T0));
    assertThat(read(T0.minusNanos(1000)).value(0, 2)).as("before its time").isEqualTo(FeatureValue.NOT_FOUND);

    store("driver-value-v2-future.hex");
    assertThat(read(T0.plusSeconds(4)).value(0, 0)).isEqualTo(new FeatureValue(0.5f, FeatureStatus.PRESENT, T0));
    assertThat(read(T0.plusSeconds(5)).value(0, 0))
        .isEqualTo(new FeatureValue(0.75f, FeatureStatus.PRESENT, T0.plusSeconds(5)));
    assertThat(read(T0.plusSeconds(5)).value(0, 2).value()).isEqualTo(8L);
    assertThat(read(T0.minusSeconds(1)).value(0, 0)).isEqualTo(FeatureValue.NOT_FOUND);
  }

  @Test
  void shouldRewriteAVersion1ValueAsVersion2OnTheNextWrite() {
    store("driver-value-v1.hex");

    engine.write(List.of(futureEvent()), Map.of(), micros(T0));

    assertThat(storedValue()).isEqualTo(golden("driver-value-v2-future.hex"));
  }

  @Test
  void shouldRejectAValueOfAnUnknownFormatVersionNamingTheView() {
    store("value-unknown-version.hex");

    assertThatThrownBy(() -> read(T0))
        .isInstanceOf(QuiverException.class)
        .hasMessage("Cannot decode online value of feature view driver_hourly_stats: unknown format version 7"
            + " (this build reads 1 and 2)");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "value-truncated.hex|20 bytes is shorter than the 33-byte version-1 header",
      "value-v2-entry-truncated.hex|entry 0 of 1 is cut at byte 25",
      "value-v2-count-too-large.hex|entry 1 of 2147483647 is cut at byte 49",
      "value-v2-length-beyond-end.hex|entry 0 of 1 claims 200 feature bytes but 8 remain",
      "value-v2-not-ascending.hex|entry 1 does not supersede entry 0",
      "value-v2-trailing-bytes.hex|3 bytes follow the last of 1 entries"})
  void shouldRejectACorruptValueNamingTheViewAndTheFault(String file, String reason) {
    assertThatThrownBy(() -> ValueCodec.entries(DRIVER_VIEW, golden(file)))
        .isInstanceOf(QuiverException.class)
        .hasMessage("Cannot decode online value of feature view driver_hourly_stats: " + reason);
    store(file);
    assertThatThrownBy(() -> read(T0)).isInstanceOf(QuiverException.class).hasMessageContaining(reason);
  }
}
