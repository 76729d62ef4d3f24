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
import dev.quiver.registry.EntityKeyCodec;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.QuiverException;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Timestamps;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

  @Test
  void shouldStoreExactlyTheGoldenKeyAndValueBytes() {
    engine.write(List.of(goldenEvent()), Map.of());

    try (RocksDbCore.CoreIterator it = core.iterator(DRIVER_VIEW)) {
      assertThat(it.next()).isTrue();
      assertThat(it.key()).isEqualTo(golden("driver-key-v1.hex"));
      assertThat(it.value()).isEqualTo(golden("driver-value-v1.hex"));
      assertThat(it.next()).isFalse();
    }
  }

  @Test
  void shouldReadTheGoldenValueBack() {
    byte[] key = golden("driver-key-v1.hex");
    assertThat(EntityKeyCodec.decode(registry.joinKeys(DRIVER_VIEW), key)).containsExactly(1001L);
    core.write(Map.of(DRIVER_VIEW, Map.of(new ByteKey(key), golden("driver-value-v1.hex"))), Map.of());

    var r = engine.get(registry.resolveRefs(List.of(DRIVER_VIEW + ":conv_rate", DRIVER_VIEW + ":acc_rate",
        DRIVER_VIEW + ":avg_daily_trips")), EntityRows.of("driver_id", List.of(1001L)), T0);

    assertThat(r.value(0, 0)).isEqualTo(new FeatureValue(0.5f, FeatureStatus.PRESENT, T0));
    assertThat(r.value(0, 1)).isEqualTo(new FeatureValue(null, FeatureStatus.NULL_VALUE, T0));
    assertThat(r.value(0, 2)).isEqualTo(new FeatureValue(7L, FeatureStatus.PRESENT, T0));
    ValueCodec.Header h = ValueCodec.header(DRIVER_VIEW, golden("driver-value-v1.hex"));
    assertThat(h).isEqualTo(new ValueCodec.Header(Timestamps.toMicros(T0), Timestamps.toMicros(T0.plusSeconds(1)), 2, 42, 1));
  }

  @Test
  void shouldRejectAValueOfAnUnknownFormatVersionNamingTheView() {
    core.write(Map.of(DRIVER_VIEW, Map.of(new ByteKey(golden("driver-key-v1.hex")),
        golden("value-unknown-version.hex"))), Map.of());

    assertThatThrownBy(() -> engine.get(registry.resolveRefs(List.of(DRIVER_VIEW + ":conv_rate")),
        EntityRows.of("driver_id", List.of(1001L)), T0))
        .isInstanceOf(QuiverException.class)
        .hasMessage("Cannot decode online value of feature view driver_hourly_stats: unknown format version 7"
            + " (this build reads 1)");
  }

  @Test
  void shouldRejectATruncatedValue() {
    assertThatThrownBy(() -> ValueCodec.header(DRIVER_VIEW, golden("value-truncated.hex")))
        .isInstanceOf(QuiverException.class)
        .hasMessageContaining("20 bytes is shorter than the 33-byte header");
  }
}
