package dev.quiver.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Any valid snapshot, with any number of applies, reads back as the same registry. */
class RegistryCodecPropertyTest {
  @Property(tries = 100)
  void shouldReadBackEverySnapshotItWrites(@ForAll("histories") List<Definitions> applies) {
    RegistrySnapshot s = RegistrySnapshot.empty();
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    for (Definitions d : applies) {
      t = t.plusSeconds(3600);
      s = s.withDefinitions(d, t, "apply at " + t);
    }

    byte[] bytes = RegistryCodec.encode(s);
    RegistrySnapshot back = RegistryCodec.decode(bytes, "property");

    assertThat(back.version()).isEqualTo(s.version());
    assertThat(back.definitions().sameDefinitions(s.definitions())).isTrue();
    assertThat(back.hash()).isEqualTo(s.hash());
    assertThat(back.history()).containsExactlyElementsOf(s.history());
    assertThat(back.viewVersions()).isEqualTo(s.viewVersions());
    assertThat(RegistryCodec.encode(back)).isEqualTo(bytes);
  }

  @Provide
  Arbitrary<List<Definitions>> histories() {
    return definitions().list().ofMinSize(1).ofMaxSize(4);
  }

  private Arbitrary<Definitions> definitions() {
    Arbitrary<ValueType> keyType = Arbitraries.of(ValueType.INT32, ValueType.INT64, ValueType.STRING, ValueType.BYTES);
    Arbitrary<List<ValueType>> featureTypes = Arbitraries.of(ValueType.values()).list().ofMinSize(1).ofMaxSize(6);
    Arbitrary<Duration> ttl = Arbitraries.longs().between(0, 10_000_000).map(Duration::ofSeconds);
    Arbitrary<String> text = Arbitraries.strings().withCharRange(' ', '~').withChars('é', '\n', '"').ofMaxLength(12);
    Arbitrary<Boolean> kafka = Arbitraries.of(true, false);
    return Combinators.combine(keyType, featureTypes, ttl, text, kafka, Arbitraries.of(true, false))
        .as((key, types, t, desc, isKafka, online) -> {
          FeatureView.Builder v = FeatureView.builder("view").withEntity("thing").withSource("src").withTtl(t)
              .withOnline(online).withDescription(desc).withTag("k", desc).withOwner(desc);
          for (int i = 0; i < types.size(); i++) {
            v.withFeature(new Feature("f" + i, types.get(i), desc));
          }
          Source src = isKafka ? new Source("src", Source.Kind.KAFKA, desc.isEmpty() ? null : "topic", null, "ts",
              null, desc, new SourceLocation("a.yaml", 3))
              : Source.parquet("src", "data/*.parquet", "ts", "created");
          return Definitions.builder()
              .withEntity(Entity.builder("thing").withJoinKey("id", key).withDescription(desc).build())
              .withSource(src)
              .withView(v.build())
              .withService(FeatureService.of("svc", "view:f0", "view"))
              .build();
        });
  }
}
