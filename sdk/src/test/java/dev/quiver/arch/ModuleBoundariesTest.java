package dev.quiver.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import dev.quiver.materializer.archfixture.MaterializerClassUsingSdk;
import dev.quiver.offline.archfixture.OfflineStoreClassUsingMaterializer;
import dev.quiver.offline.archfixture.OfflineStoreClassUsingOnlineStore;
import dev.quiver.online.archfixture.OnlineStoreClassUsingKafka;
import dev.quiver.online.archfixture.OnlineStoreClassUsingOfflineStore;
import dev.quiver.registry.archfixture.RegistryClassUsingKafka;
import dev.quiver.registry.archfixture.RegistryClassUsingOnlineStore;
import dev.quiver.sdk.FeatureStore;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The module boundaries of DESIGN.md, checked on the compiled main classes of every module on the
 * sdk's classpath: modules depend only downward; the registry knows no store, Kafka, Vert.x,
 * Parquet, Arrow or Hadoop; the stores know no Kafka and not each other; only the sdk (and its CLI)
 * uses the materializer. A rule whose classes are missing fails (ArchUnit's empty-should check),
 * and every rule is shown to catch a deliberate violation.
 */
class ModuleBoundariesTest {
  private static final String REGISTRY = "dev.quiver.registry..";
  private static final String ONLINE = "dev.quiver.online..";
  private static final String OFFLINE = "dev.quiver.offline..";
  private static final String MATERIALIZER = "dev.quiver.materializer..";
  private static final String SDK = "dev.quiver.sdk..";
  private static final String CLI = "dev.quiver.cli..";

  static final ArchRule REGISTRY_USES_NO_STORE_OR_TRANSPORT = noClasses().that().resideInAPackage(REGISTRY)
      .should().dependOnClassesThat().resideInAnyPackage("org.rocksdb..", "org.apache.parquet..",
          "org.apache.arrow..", "org.apache.kafka..", "io.vertx..", "org.apache.hadoop..")
      .because("the registry is the model and the contracts; it knows no store and no transport");

  static final ArchRule REGISTRY_DEPENDS_ON_NO_OTHER_MODULE = noClasses().that().resideInAPackage(REGISTRY)
      .should().dependOnClassesThat().resideInAnyPackage(ONLINE, OFFLINE, MATERIALIZER, SDK, CLI)
      .because("nothing points up from the registry");

  static final ArchRule STORES_USE_NO_KAFKA = noClasses().that().resideInAnyPackage(ONLINE, OFFLINE)
      .should().dependOnClassesThat().resideInAPackage("org.apache.kafka..")
      .because("the stores know no Kafka; the materializer feeds them through OnlineSink/OfflineSink");

  static final ArchRule ONLINE_STORE_DOES_NOT_USE_OFFLINE_STORE = noClasses().that().resideInAPackage(ONLINE)
      .should().dependOnClassesThat().resideInAnyPackage(OFFLINE, MATERIALIZER, SDK, CLI)
      .because("the stores are independent and depend only on the registry");

  static final ArchRule OFFLINE_STORE_DOES_NOT_USE_ONLINE_STORE = noClasses().that().resideInAPackage(OFFLINE)
      .should().dependOnClassesThat().resideInAnyPackage(ONLINE, MATERIALIZER, SDK, CLI)
      .because("the stores are independent and depend only on the registry");

  static final ArchRule ONLY_SDK_USES_MATERIALIZER = noClasses()
      .that().resideOutsideOfPackages(MATERIALIZER, SDK, CLI)
      .should().dependOnClassesThat().resideInAPackage(MATERIALIZER)
      .because("only the sdk wires the materializer");

  static final ArchRule MATERIALIZER_DOES_NOT_USE_SDK = noClasses().that().resideInAPackage(MATERIALIZER)
      .should().dependOnClassesThat().resideInAnyPackage(SDK, CLI)
      .because("nothing points up from the materializer");

  private static JavaClasses main;

  @BeforeAll
  static void importMainClasses() {
    main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.quiver");
  }

  @Test
  void shouldFindTheModulesMainClasses() {
    assertThat(main.containPackage("dev.quiver.registry")).isTrue();
    assertThat(main.containPackage("dev.quiver.cli")).isTrue();
    assertThat(main.stream().map(c -> c.getPackageName())).noneMatch(p -> p.contains("archfixture"));
  }

  @Test
  void registryShouldUseNoStoreKafkaVertxParquetArrowOrHadoop() {
    REGISTRY_USES_NO_STORE_OR_TRANSPORT.check(main);
  }

  @Test
  void registryShouldDependOnNoOtherModule() {
    REGISTRY_DEPENDS_ON_NO_OTHER_MODULE.check(main);
  }

  @Test
  void storesShouldUseNoKafka() {
    STORES_USE_NO_KAFKA.check(main);
  }

  @Test
  void storesShouldNotUseEachOther() {
    ONLINE_STORE_DOES_NOT_USE_OFFLINE_STORE.check(main);
    OFFLINE_STORE_DOES_NOT_USE_ONLINE_STORE.check(main);
  }

  @Test
  void onlyTheSdkShouldUseTheMaterializer() {
    ONLY_SDK_USES_MATERIALIZER.check(main);
    MATERIALIZER_DOES_NOT_USE_SDK.check(main);
  }

  static Stream<Arguments> rulesAndTheirViolations() {
    return Stream.of(
        Arguments.of(REGISTRY_USES_NO_STORE_OR_TRANSPORT, RegistryClassUsingKafka.class, "org.apache.kafka",
            String.class),
        Arguments.of(REGISTRY_DEPENDS_ON_NO_OTHER_MODULE, RegistryClassUsingOnlineStore.class, "dev.quiver.online",
            String.class),
        Arguments.of(STORES_USE_NO_KAFKA, OnlineStoreClassUsingKafka.class, "org.apache.kafka",
            String.class),
        Arguments.of(ONLINE_STORE_DOES_NOT_USE_OFFLINE_STORE, OnlineStoreClassUsingOfflineStore.class,
            "dev.quiver.offline", String.class),
        Arguments.of(OFFLINE_STORE_DOES_NOT_USE_ONLINE_STORE, OfflineStoreClassUsingOnlineStore.class,
            "dev.quiver.online", String.class),
        Arguments.of(ONLY_SDK_USES_MATERIALIZER, OfflineStoreClassUsingMaterializer.class, "dev.quiver.materializer",
            FeatureStore.class),
        Arguments.of(MATERIALIZER_DOES_NOT_USE_SDK, MaterializerClassUsingSdk.class, "dev.quiver.sdk",
            String.class));
  }

  @ParameterizedTest
  @MethodSource("rulesAndTheirViolations")
  void shouldCatchAViolationOfEveryRule(ArchRule rule, Class<?> violator, String forbidden, Class<?> outsider) {
    // One deliberate violator: the rule fails, naming it and what it must not use.
    JavaClasses withViolator = new ClassFileImporter().importClasses(violator);
    EvaluationResult result = rule.evaluate(withViolator);

    assertThat(result.hasViolation()).as(rule.getDescription()).isTrue();
    assertThat(result.getFailureReport().getDetails()).isNotEmpty()
        .allSatisfy(d -> assertThat(d).contains(violator.getSimpleName()).contains(forbidden));
  }

  @ParameterizedTest
  @MethodSource("rulesAndTheirViolations")
  void shouldFailARuleThatMatchesNoClasses(ArchRule rule, Class<?> violator, String forbidden, Class<?> outsider) {
    // Classes the rule does not speak of: no rule may pass by checking nothing.
    JavaClasses unrelated = new ClassFileImporter().importClasses(outsider);

    assertThatThrownBy(() -> rule.check(unrelated)).isInstanceOf(AssertionError.class)
        .hasMessageContaining("failed to check any classes");
  }
}
