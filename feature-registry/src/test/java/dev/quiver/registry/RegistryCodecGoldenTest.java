package dev.quiver.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The registry file format, pinned by golden files under src/test/resources/registry. */
class RegistryCodecGoldenTest {
  @Test
  void shouldReadTheGoldenRegistryWithBothSchemaVersions() throws IOException {
    RegistrySnapshot s = RegistryCodec.decode(golden("valid-v1.registry"), "valid-v1.registry");

    assertThat(s.version()).isEqualTo(2);
    assertThat(s.definitions().entities().get("driver").sameDefinition(Examples.driver().entities().get("driver")))
        .isTrue();
    FeatureView view = s.view("driver_hourly_stats");
    assertThat(view.ttl()).isEqualTo(Duration.ofHours(3));
    assertThat(view.feature("trips_today").orElseThrow().description()).isEqualTo("Trips since midnight");
    assertThat(view.location()).isEqualTo(new SourceLocation("driver.yaml", 13));
    assertThat(s.versions("driver_hourly_stats")).extracting(FeatureViewVersion::version, FeatureViewVersion::appliedAt)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(1, Instant.parse("2026-01-01T00:00:00Z")),
            org.assertj.core.groups.Tuple.tuple(2, Instant.parse("2026-01-02T03:04:05.123Z")));
    assertThat(s.version("driver_hourly_stats", 1).feature("conv_rate").orElseThrow().type())
        .isEqualTo(ValueType.FLOAT32);
    assertThat(s.history()).extracting(HistoryEntry::summary)
        .containsExactly("initial", "~ feature view driver_hourly_stats");
    assertThat(s.history().get(1).hash()).isEqualTo(s.hash());
  }

  @Test
  void shouldEncodeTheGoldenSnapshotToTheSameBytes() throws IOException {
    byte[] golden = golden("valid-v1.registry");

    // Any change of these bytes is a format change: bump RegistryCodec.FORMAT_VERSION and keep reading version 1.
    assertThat(RegistryCodec.encode(RegistryCodec.decode(golden))).isEqualTo(golden);
    assertThat(new String(golden, StandardCharsets.US_ASCII)).startsWith("QUIVER-REGISTRY 1 length=");
  }

  @Test
  void shouldRoundTripASnapshotOfEveryTypeAndOption() {
    Definitions d = Definitions.builder()
        .withEntity(Entity.builder("user").withJoinKey("user_id", ValueType.STRING)
            .withJoinKey("region", ValueType.INT32).build())
        .withSource(Source.parquet("history", "data/*.parquet", "ts", "created"))
        .withView(FeatureView.builder("profile").withEntity("user").withSource("history").withTtl(Duration.ZERO)
            .withOnline(false).withTag("b", "2").withTag("a", "1")
            .withFeature("embedding", ValueType.FLOAT32_LIST).withFeature("seen", ValueType.TIMESTAMP)
            .withFeature("raw", ValueType.BYTES).withFeature("flag", ValueType.BOOL).build())
        .withService(new FeatureService("svc", java.util.List.of(FeatureRef.parse("profile@v1:embedding")),
            "me", Map.of("z", "1", "y", "2"), "d", null))
        .build();
    RegistrySnapshot s = RegistrySnapshot.empty().withDefinitions(d, Instant.parse("2026-03-01T00:00:00Z"), "x");

    RegistrySnapshot back = RegistryCodec.decode(RegistryCodec.encode(s));

    assertThat(back.definitions().sameDefinitions(d)).isTrue();
    assertThat(back.hash()).isEqualTo(s.hash());
    assertThat(back.view("profile").tags().keySet()).containsExactly("b", "a");
    assertThat(back.currentVersion("profile").fingerprint()).isEqualTo(s.currentVersion("profile").fingerprint());
    assertThat(RegistryCodec.encode(back)).isEqualTo(RegistryCodec.encode(s));
  }

  @Test
  void shouldDetectAChangedByteByItsChecksum() throws IOException {
    assertThatThrownBy(() -> RegistryCodec.decode(golden("corrupt-checksum.registry"), "corrupt-checksum.registry"))
        .isInstanceOf(CorruptRegistryException.class)
        .hasMessage("Cannot read registry corrupt-checksum.registry: checksum mismatch (the content was altered or "
            + "damaged)");
  }

  @Test
  void shouldDetectATruncatedFile() throws IOException {
    assertThatThrownBy(() -> RegistryCodec.decode(golden("truncated.registry"), "truncated.registry"))
        .isInstanceOf(CorruptRegistryException.class)
        .hasMessage("Cannot read registry truncated.registry: truncated: the header promises 3862 bytes but only "
            + "1880 follow");
  }

  @Test
  void shouldRejectAnEmptyFileAForeignFileAndAnUnknownFormatVersion() throws IOException {
    assertThatThrownBy(() -> RegistryCodec.decode(new byte[0], "r"))
        .hasMessage("Cannot read registry r: the file is empty (truncated write?)");
    assertThatThrownBy(() -> RegistryCodec.decode("{\"a\": 1}\n".getBytes(StandardCharsets.UTF_8), "r"))
        .hasMessage("Cannot read registry r: not a Quiver registry (no QUIVER-REGISTRY header)");
    byte[] future = new String(golden("valid-v1.registry"), StandardCharsets.UTF_8)
        .replaceFirst("QUIVER-REGISTRY 1 ", "QUIVER-REGISTRY 2 ").getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> RegistryCodec.decode(future, "r"))
        .isInstanceOf(CorruptRegistryException.class)
        .hasMessage("Cannot read registry r: unsupported format version 2 (this Quiver reads version 1)");
  }

  @Test
  void shouldRejectAStoredFingerprintThatNoLongerMatchesItsSchema() throws IOException {
    String text = new String(golden("valid-v1.registry"), StandardCharsets.UTF_8);
    String body = text.substring(text.indexOf('\n') + 1);
    String fp = RegistryCodec.fingerprintHex(RegistryCodec.decode(golden("valid-v1.registry"))
        .version("driver_hourly_stats", 1).fingerprint());
    String tampered = body.replace(fp, "0000000000000000");
    byte[] bytes = rewrap(tampered);

    assertThatThrownBy(() -> RegistryCodec.decode(bytes, "r"))
        .isInstanceOf(CorruptRegistryException.class)
        .hasMessageContaining("Cannot read registry r: malformed content (fingerprint of driver_hourly_stats@v1 is " + fp
            + " but the registry recorded 0000000000000000)");
  }

  @Test
  void shouldRejectJsonOfTheWrongShapeEvenWithAValidChecksum() {
    assertThatThrownBy(() -> RegistryCodec.decode(rewrap("{\"registry_version\": 3}\n"), "r"))
        .isInstanceOf(CorruptRegistryException.class)
        .hasMessage("Cannot read registry r: malformed content (missing field \"definitions\")");
  }

  private static byte[] rewrap(String body) {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    String sha;
    try {
      sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return ("QUIVER-REGISTRY 1 length=" + b.length + " sha256=" + sha + "\n" + body).getBytes(StandardCharsets.UTF_8);
  }

  static byte[] golden(String name) throws IOException {
    try (InputStream in = RegistryCodecGoldenTest.class.getResourceAsStream("/registry/" + name)) {
      assertThat(in).as("golden file " + name).isNotNull();
      return in.readAllBytes();
    }
  }
}
