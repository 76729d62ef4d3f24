package dev.quiver.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The static member id of a repo's server: the same on every start, another for another repo. */
class FeatureServerInstanceIdTest {
  @TempDir
  Path dir;

  @Test
  void shouldNameTheSameMemberOnEveryStartOfARepoAndAnotherForAnotherRepo() {
    QuiverConfig a = QuiverConfig.defaultsFor(dir.resolve("a"));
    QuiverConfig b = QuiverConfig.defaultsFor(dir.resolve("b"));
    assertThat(FeatureServer.instanceId(a)).isEqualTo(FeatureServer.instanceId(QuiverConfig.defaultsFor(dir.resolve("a"))))
        .startsWith("quiver-").hasSizeLessThanOrEqualTo(249);
    assertThat(FeatureServer.instanceId(a)).isNotEqualTo(FeatureServer.instanceId(b));
  }
}
