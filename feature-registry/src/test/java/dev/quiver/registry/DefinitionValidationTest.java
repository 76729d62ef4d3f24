package dev.quiver.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every validation error a feature repo can have, each naming the file, the line and the value. */
class DefinitionValidationTest {
  @TempDir
  Path repo;

  /** A valid repo in one file, with its lines numbered as below; tests replace one line to break it. */
  private static final String VALID = String.join("\n",
      "entities:",                                                   // 1
      "  - name: driver",                                            // 2
      "    join_keys: [{name: driver_id, type: INT64}]",             // 3
      "sources:",                                                    // 4
      "  - name: stream",                                            // 5
      "    kafka: {topic: drivers}",                                 // 6
      "feature_views:",                                              // 7
      "  - name: stats",                                             // 8
      "    entities: [driver]",                                      // 9
      "    source: stream",                                          // 10
      "    ttl: 2h",                                                 // 11
      "    features:",                                               // 12
      "      - {name: conv_rate, type: FLOAT32}",                    // 13
      "      - {name: trips, type: INT64}",                          // 14
      "feature_services:",                                           // 15
      "  - name: ranking",                                           // 16
      "    features: [stats:conv_rate, stats]",                      // 17
      "");

  @Test
  void shouldAcceptTheValidRepo() throws IOException {
    write("defs.yaml", VALID);

    assertThat(FeatureRepo.load(repo).views()).containsOnlyKeys("stats");
  }

  @Test
  void shouldNameFileLineAndValueOfAnUnknownType() throws IOException {
    write("defs.yaml", replace(13, "      - {name: conv_rate, type: FLOAT23}"));

    assertThat(problems()).containsExactly(
        "defs.yaml:13: unknown type \"FLOAT23\" of feature conv_rate of feature view stats (expected one of BOOL, "
            + "INT32, INT64, FLOAT32, FLOAT64, STRING, BYTES, TIMESTAMP, LIST<BOOL>, LIST<INT32>, LIST<INT64>, "
            + "LIST<FLOAT32>, LIST<FLOAT64>, LIST<STRING>, LIST<BYTES>, LIST<TIMESTAMP>)");
  }

  @Test
  void shouldRejectADuplicateNameInAnotherFileNamingBothPlaces() throws IOException {
    write("a.yaml", VALID);
    write("b.yaml", "# the same view again\nfeature_views:\n  - name: stats\n    entities: [driver]\n"
        + "    source: stream\n    features: [{name: x, type: INT64}]\n");

    assertThat(problems()).containsExactly(
        "b.yaml:3: duplicate feature view name \"stats\" (first defined at a.yaml:8)");
  }

  @Test
  void shouldRejectADuplicateNameInOneFile() throws IOException {
    write("defs.yaml", VALID.replace("sources:\n", "  - name: driver\n    join_keys: [{name: id, type: STRING}]\nsources:\n"));

    assertThat(problems()).containsExactly("defs.yaml:4: duplicate entity name \"driver\" (first defined at defs.yaml:2)");
  }

  @Test
  void shouldRejectARepeatedSectionInOneFile() throws IOException {
    write("defs.yaml", VALID + "entities:\n  - name: rider\n    join_keys: [{name: rider_id, type: INT64}]\n");

    assertThat(problems()).containsExactly(
        "defs.yaml:18: duplicate field \"entities\" in the top level of a definition file");
  }

  @Test
  void shouldRejectAnUnknownEntity() throws IOException {
    write("defs.yaml", replace(9, "    entities: [drivr]"));

    assertThat(problems()).containsExactly(
        "defs.yaml:9: feature view stats references unknown entity \"drivr\" (known: driver)");
  }

  @Test
  void shouldRejectAnUnknownSource() throws IOException {
    write("defs.yaml", replace(10, "    source: strem"));

    assertThat(problems()).containsExactly(
        "defs.yaml:10: feature view stats references unknown source \"strem\" (known: stream)");
  }

  @Test
  void shouldRejectAServiceReferencingAnUnknownView() throws IOException {
    write("defs.yaml", replace(17, "    features: [stats:conv_rate,\n      statz]"));

    assertThat(problems()).containsExactly(
        "defs.yaml:18: feature service ranking references unknown feature view \"statz\" in \"statz\" (known: stats)");
  }

  @Test
  void shouldRejectAServiceReferencingAnUnknownFeature() throws IOException {
    write("defs.yaml", replace(17, "    features: [stats:conv_rat]"));

    assertThat(problems()).containsExactly(
        "defs.yaml:17: feature service ranking references unknown feature \"stats:conv_rat\" "
            + "(view stats has [conv_rate, trips])");
  }

  @Test
  void shouldRejectNamesThatAreNotLowerSnakeCase() throws IOException {
    write("defs.yaml", replace(14, "      - {name: Trips-Today, type: INT64}").replace("name: ranking", "name: 2ranking"));

    assertThat(problems()).containsExactly(
        "defs.yaml:14: invalid name \"Trips-Today\" for a feature of feature view stats (names must match "
            + "[a-z][a-z0-9_]*: lower case letters, digits and _)",
        "defs.yaml:16: invalid name \"2ranking\" for a feature service (names must match [a-z][a-z0-9_]*: lower "
            + "case letters, digits and _)");
  }

  @Test
  void shouldRejectANegativeTtl() throws IOException {
    write("defs.yaml", replace(11, "    ttl: -5m"));

    assertThat(problems()).containsExactly(
        "defs.yaml:11: feature view stats has a negative ttl \"-5m\" (use 0 for forever)");
  }

  @Test
  void shouldRejectATtlThatDoesNotParse() throws IOException {
    write("defs.yaml", replace(11, "    ttl: 2 hours"));

    assertThat(problems()).containsExactly(
        "defs.yaml:11: Cannot parse ttl of feature view stats: \"2 hours\" (expected e.g. 30s, 15m, 2h, 7d, PT2H or 0)");
  }

  @Test
  void shouldAcceptZeroAndIsoTtls() throws IOException {
    write("defs.yaml", replace(11, "    ttl: PT2H30M"));
    assertThat(FeatureRepo.load(repo).views().get("stats").ttl()).isEqualTo(Duration.ofMinutes(150));

    write("defs.yaml", replace(11, "    ttl: 0"));
    assertThat(FeatureRepo.load(repo).views().get("stats").ttl()).isEqualTo(Duration.ZERO);
  }

  @Test
  void shouldRejectReservedColumnNamesAsFeaturesAndJoinKeys() throws IOException {
    write("defs.yaml", replace(14, "      - {name: event_timestamp, type: TIMESTAMP}")
        .replace("{name: driver_id, type: INT64}", "{name: _offset, type: INT64}"));

    assertThat(problems()).containsExactly(
        "defs.yaml:3: join key \"_offset\" of entity driver uses a reserved column name (reserved: _offset, "
            + "_partition, created_timestamp, event_timestamp)",
        "defs.yaml:14: feature \"event_timestamp\" of feature view stats uses a reserved column name (reserved: "
            + "_offset, _partition, created_timestamp, event_timestamp)");
  }

  @Test
  void shouldRejectAFeatureNamedLikeAJoinKey() throws IOException {
    write("defs.yaml", replace(14, "      - {name: driver_id, type: INT64}"));

    assertThat(problems()).containsExactly(
        "defs.yaml:14: feature \"driver_id\" of feature view stats is named like the join key of entity driver");
  }

  @Test
  void shouldRejectAJoinKeyOfANonKeyType() throws IOException {
    write("defs.yaml", replace(3, "    join_keys: [{name: driver_id, type: FLOAT64}]"));

    assertThat(problems()).containsExactly(
        "defs.yaml:3: join key \"driver_id\" of entity driver has type FLOAT64, which cannot be a join key "
            + "(use INT32, INT64, STRING or BYTES)");
  }

  @Test
  void shouldRejectAnEntityWithoutJoinKeysOnce() throws IOException {
    write("defs.yaml", replace(3, "    description: no keys"));

    assertThat(problems()).containsExactly("defs.yaml:2: entity driver has no join keys");
  }

  @Test
  void shouldReportYamlThatDoesNotParseWithItsLine() throws IOException {
    write("defs.yaml", replace(9, "    entities: [driver"));

    List<String> problems = problems();
    assertThat(problems).hasSize(1);
    assertThat(problems.get(0)).isEqualTo("defs.yaml:10: Cannot parse YAML: expected ',' or ']', but got : at column 11 "
        + "(while parsing a flow sequence started at line 9)");
  }

  @Test
  void shouldReportAnUnknownFieldWithItsName() throws IOException {
    write("defs.yaml", replace(11, "    tll: 2h"));

    assertThat(problems()).containsExactly(
        "defs.yaml:11: unknown field \"tll\" in a feature view (expected one of description, entities, features, "
            + "name, offline, online, owner, source, tags, ttl)");
  }

  @Test
  void shouldReportEveryProblemOfEveryFileAtOnce() throws IOException {
    write("a.yaml", replace(13, "      - {name: conv_rate, type: FLOAT23}").replace("ttl: 2h", "ttl: -1h"));
    write("b.yaml", "entities: [\n");

    InvalidDefinitionException e = catchThrowableOfType(InvalidDefinitionException.class,
        () -> FeatureRepo.load(repo));

    assertThat(e.problems()).extracting(DefinitionProblem::file, DefinitionProblem::line)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("a.yaml", 13),
            org.assertj.core.groups.Tuple.tuple("b.yaml", 2),
            org.assertj.core.groups.Tuple.tuple("a.yaml", 11));
    assertThat(e.getMessage()).contains("FLOAT23").contains("-1h").contains("b.yaml:2: Cannot parse YAML");
  }

  @Test
  void shouldValidateDefinitionsBuiltInJavaWithoutLocations() {
    Definitions d = Definitions.builder()
        .withEntity(Entity.builder("driver").withJoinKey("driver_id", ValueType.INT64).build())
        .withView(FeatureView.builder("stats").withEntity("rider").withFeature("x", ValueType.INT64).build())
        .build();

    InvalidDefinitionException e = catchThrowableOfType(InvalidDefinitionException.class,
        () -> DefinitionValidator.validate(d));

    assertThat(e.getMessage()).isEqualTo("feature view stats references unknown entity \"rider\" (known: driver)");
  }

  private String replace(int line, String text) {
    String[] lines = VALID.split("\n", -1);
    lines[line - 1] = text;
    return String.join("\n", lines);
  }

  private List<String> problems() {
    InvalidDefinitionException e = catchThrowableOfType(InvalidDefinitionException.class,
        () -> FeatureRepo.load(repo));
    assertThat(e).as("an InvalidDefinitionException").isNotNull();
    return e.problems().stream().map(DefinitionProblem::toString).toList();
  }

  private void write(String name, String text) throws IOException {
    Files.writeString(repo.resolve(name), text);
  }
}
