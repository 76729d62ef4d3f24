package dev.quiver.online.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.online.Fixtures;
import dev.quiver.registry.Feature;
import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.registry.RegistrySnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

/** The direct same-version decoder agrees with Avro's generic reader on every value type. */
class FeatureCodecsTest {
  final RegistrySnapshot registry = Fixtures.registry();
  final FeatureCodecs codecs = new FeatureCodecs();

  private void assertBothDecodersAgree(FeatureViewVersion version, List<Object> javaValues) {
    List<Feature> fs = version.features();
    Object[] avro = new Object[fs.size()];
    for (int i = 0; i < avro.length; i++) {
      avro[i] = fs.get(i).type().toAvro(javaValues.get(i));
    }
    byte[] bytes = codecs.encode(version, avro);
    boolean[] all = new boolean[fs.size()];
    Arrays.fill(all, true);

    Object[] direct = FeatureCodecs.decodeSameVersion(version.view(), bytes, 0, bytes.length, fs, all);
    GenericRecord rec = codecs.decoder(version, version.version(), () -> version).decode(bytes, 0, bytes.length);

    for (int i = 0; i < fs.size(); i++) {
      Object generic = fs.get(i).type().fromAvro(rec.get(i));
      if (generic instanceof byte[] b) {
        assertThat((byte[]) direct[i]).isEqualTo(b);
      } else {
        assertThat(direct[i]).as(fs.get(i).name()).isEqualTo(generic).isEqualTo(javaValues.get(i));
      }
    }
  }

  @Test
  void shouldDecodeEveryTypeLikeAvrosGenericReader() {
    FeatureViewVersion customer = registry.currentVersion(Fixtures.CUSTOMER_VIEW);
    assertBothDecodersAgree(customer, Arrays.asList(-7, "caf\u00e9", List.of(1.5, -0.0, 1e300),
        Instant.parse("1969-12-31T23:59:59.999999Z"), "bytes".getBytes(StandardCharsets.UTF_8)));
    assertBothDecodersAgree(customer, Arrays.asList(null, null, null, null, null));
    assertBothDecodersAgree(customer, Arrays.asList(0, "", List.of(), Instant.EPOCH, new byte[0]));
    assertBothDecodersAgree(registry.currentVersion(Fixtures.DRIVER_VIEW), Arrays.asList(Float.NaN, -1.25f, Long.MIN_VALUE));
  }

  @Test
  void shouldMaterializeOnlyTheWantedFeatures() {
    FeatureViewVersion driver = registry.currentVersion(Fixtures.DRIVER_VIEW);
    byte[] bytes = codecs.encode(driver, new Object[] {0.5f, 0.25f, 9L});

    Object[] out = FeatureCodecs.decodeSameVersion(driver.view(), bytes, 0, bytes.length, driver.features(),
        new boolean[] {false, true, false});

    assertThat(out).containsExactly(null, 0.25f, null);
  }
}
