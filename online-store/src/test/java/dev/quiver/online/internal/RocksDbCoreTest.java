package dev.quiver.online.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.online.StoreClosedException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksDbCoreTest {
  @TempDir
  Path dir;

  private static ByteKey key(String s) {
    return new ByteKey(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void shouldCreateAColumnFamilyPerViewOnFirstWriteAndReopenThem() {
    try (RocksDbCore core = RocksDbCore.open(dir, 1 << 20, false)) {
      assertThat(core.views()).isEmpty();
      assertThat(core.get("a", key("k").bytes())).isNull();
      core.write(Map.of("a", Map.of(key("k"), new byte[] {1}), "b", Map.of(key("k"), new byte[] {2})), Map.of());
      assertThat(core.views()).containsExactlyInAnyOrder("a", "b");
    }
    try (RocksDbCore core = RocksDbCore.open(dir, 1 << 20, false)) {
      assertThat(core.views()).containsExactlyInAnyOrder("a", "b");
      assertThat(core.get("a", key("k").bytes())).containsExactly(1);
      assertThat(core.multiGet("b", List.of(key("k").bytes(), key("x").bytes()))).satisfiesExactly(
          v -> assertThat(v).containsExactly(2), v -> assertThat(v).isNull());
    }
  }

  @Test
  void shouldKeepViewsApartFromEachOtherAndFromMeta() {
    try (RocksDbCore core = RocksDbCore.open(dir, 1 << 20, false)) {
      core.write(Map.of("meta", Map.of(key("k"), new byte[] {9})), Map.of("k", new byte[] {7}));
      assertThat(core.get("meta", key("k").bytes())).containsExactly(9);
      assertThat(core.getMeta("k")).containsExactly(7);
    }
  }

  @Test
  void shouldCloseIteratorsLeftOpenAndRejectTheirUseAfterClose() {
    RocksDbCore core = RocksDbCore.open(dir, 1 << 20, false);
    core.write(Map.of("a", Map.of(key("k1"), new byte[] {1}, key("k2"), new byte[] {2})), Map.of());
    RocksDbCore.CoreIterator left = core.iterator("a");
    try (RocksDbCore.CoreIterator closedOne = core.iterator("a")) {
      assertThat(closedOne.next()).isTrue();
    }
    assertThat(left.next()).isTrue();
    assertThat(core.openIteratorCount()).isEqualTo(1);

    core.close();

    assertThat(core.openIteratorCount()).isZero();
    assertThatThrownBy(left::next).isInstanceOf(StoreClosedException.class).hasMessageContaining("is closed");
    assertThatThrownBy(left::key).isInstanceOf(StoreClosedException.class);
    assertThatThrownBy(left::value).isInstanceOf(StoreClosedException.class);
    left.close();
  }

  @Test
  void shouldRejectReadingAnIteratorThatIsClosedOrNotOnAnEntry() {
    try (RocksDbCore core = RocksDbCore.open(dir, 1 << 20, false)) {
      core.write(Map.of("a", Map.of(key("k1"), new byte[] {1})), Map.of());
      RocksDbCore.CoreIterator it = core.iterator("a");
      assertThatThrownBy(it::key).isInstanceOf(IllegalStateException.class).hasMessageContaining("call next() first");
      assertThat(it.next()).isTrue();
      assertThat(it.key()).isEqualTo(key("k1").bytes());
      assertThat(it.next()).isFalse();
      assertThatThrownBy(it::value).isInstanceOf(IllegalStateException.class);
      it.close();
      assertThatThrownBy(it::key).isInstanceOf(StoreClosedException.class).hasMessageContaining("iterator is closed");
      assertThat(core.openIteratorCount()).isZero();
    }
  }

  @Test
  void shouldRejectEveryOperationAfterClose() {
    RocksDbCore core = RocksDbCore.open(dir, 1 << 20, false);
    core.close();
    core.close();
    assertThatThrownBy(() -> core.get("a", new byte[] {1})).isInstanceOf(StoreClosedException.class)
        .hasMessage("Cannot read view a: online store " + dir + " is closed");
    assertThatThrownBy(() -> core.multiGet("a", List.of(new byte[] {1}, new byte[] {2})))
        .isInstanceOf(StoreClosedException.class);
    assertThatThrownBy(() -> core.write(Map.of(), Map.of())).isInstanceOf(StoreClosedException.class);
    assertThatThrownBy(() -> core.getMeta("k")).isInstanceOf(StoreClosedException.class);
    assertThatThrownBy(() -> core.iterator("a")).isInstanceOf(StoreClosedException.class);
  }

  @Test
  void shouldRefuseASecondOpenOfTheSameDirectoryWithAClearError() {
    try (RocksDbCore core = RocksDbCore.open(dir, 1 << 20, false)) {
      assertThatThrownBy(() -> RocksDbCore.open(dir, 1 << 20, false))
          .hasMessageStartingWith("Cannot open online store " + dir);
    }
  }
}
