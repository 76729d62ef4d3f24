package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quiver.online.FeatureStatus;
import dev.quiver.online.FeatureValue;
import dev.quiver.sdk.FeatureStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI as a user runs it: {@code quiver serve} and {@code quiver materialize --stream} in a
 * child JVM (the test's classpath, {@link QuiverCli}'s main), stopped by SIGTERM.
 */
class CliProcessTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  private final List<Child> children = new ArrayList<>();

  /** A child process writing its output to two files. */
  static final class Child {
    final Process process;
    final Path outFile;
    final Path errFile;

    Child(ProcessBuilder pb, Path dir) throws IOException {
      Files.createDirectories(dir);
      outFile = dir.resolve("stdout");
      errFile = dir.resolve("stderr");
      process = pb.redirectOutput(outFile.toFile()).redirectError(errFile.toFile()).start();
    }

    String out() {
      return read(outFile);
    }

    String err() {
      return read(errFile);
    }

    private static String read(Path f) {
      try {
        return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
      } catch (IOException e) {
        return "";
      }
    }

    /** SIGTERM (what {@link Process#destroy()} sends on Linux), then the exit code. */
    int terminate() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("still running 120 s after SIGTERM\n" + this);
      }
      return process.exitValue();
    }

    @Override
    public String toString() {
      return "out:\n" + out() + "\nerr:\n" + err();
    }
  }

  Child quiver(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Darrow.allocation.manager.type=Unsafe",
        "-cp", System.getProperty("java.class.path"), QuiverCli.class.getName()));
    cmd.addAll(List.of(args));
    Child c = new Child(new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))),
        tmp.resolve("child-" + children.size()));
    children.add(c);
    return c;
  }

  @AfterEach
  void killLeftovers() {
    for (Child c : children) {
      if (c.process.isAlive()) {
        c.process.destroyForcibly();
      }
    }
  }

  @Test
  void shouldServeFromTheCliSayWhatIsNotAppliedAnswerALookupAndExitZeroOnSigterm() throws Exception {
    Path repo = ExampleRepoTest.copyOfExample(tmp);
    Child serve = quiver("serve", "-r", repo.toString(), "--port", "0");
    await().atMost(Duration.ofSeconds(120)).until(() -> serve.out().contains("Press Ctrl-C to stop."));
    // never applied: serve says which definitions differ and how to apply them
    assertThat(serve.err()).as(serve.toString())
        .contains("The definitions in " + repo + " differ from the registry (version 0), which is what is served: ")
        .contains("+ feature view driver_daily_stats").contains("+ feature view driver_hourly_stats")
        .contains("`quiver plan -r " + repo + "`").contains("`quiver apply -r " + repo + "`");
    Matcher m = Pattern.compile("at (http://\\S+) \\(").matcher(serve.out());
    assertThat(m.find()).as(serve.toString()).isTrue();
    String url = m.group(1);

    // applied while serving: a push over HTTP lands and a lookup answers it
    CliRun apply = CliRun.run("apply", "-r", repo.toString());
    assertThat(apply.code).as(apply.toString()).isZero();
    Instant t = Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(60);
    String push = "{\"feature_view\": \"driver_hourly_stats\", \"df\": {\"driver_id\": [1001], "
        + "\"event_timestamp\": [\"" + t + "\"], \"conv_rate\": [0.5]}}";
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(post(url + "/push", push).statusCode())
        .isEqualTo(200));
    String lookup = "{\"features\": [\"driver_hourly_stats:conv_rate\"], \"entities\": {\"driver_id\": [1001]}}";
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      HttpResponse<String> r = post(url + "/get-online-features", lookup);
      assertThat(r.statusCode()).isEqualTo(200);
      JsonNode conv = JSON.readTree(r.body()).path("results").path(1);
      assertThat(conv.path("statuses").path(0).asText()).isEqualTo("PRESENT");
      assertThat(conv.path("values").path(0).floatValue()).isEqualTo(0.5f);
    });

    int code = serve.terminate();
    assertThat(code).as(serve.toString()).isZero();
    assertThat(serve.out()).as(serve.toString()).contains("Stopped.");
  }

  @Test
  void shouldMaterializeTheStreamUntilStoppedAndLandAPushedEvent() throws Exception {
    Path repo = ExampleRepoTest.copyOfExample(tmp);
    CliRun apply = CliRun.run("apply", "-r", repo.toString());
    assertThat(apply.code).as(apply.toString()).isZero();
    Child stream = quiver("materialize", "-r", repo.toString(), "--stream");
    await().atMost(Duration.ofSeconds(120)).until(() -> stream.out().contains("Press Ctrl-C to stop."));
    assertThat(stream.err()).doesNotContain("differ from the registry");

    // the CLI finds the running materializer's broker and produces to it
    Instant t = Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(60);
    Path rows = Files.writeString(tmp.resolve("rows.csv"), "driver_id,event_timestamp,conv_rate,avg_daily_trips\n"
        + "1002," + t + ",0.25,17\n");
    CliRun push = CliRun.run("push", "-r", repo.toString(), "--view", "driver_hourly_stats", "--file", rows.toString());
    assertThat(push.code).as(push.toString()).isZero();
    // the online store is the child's while it runs: wait until its offline flush has the row, then stop it
    await().atMost(Duration.ofSeconds(60)).until(() -> offlineRows(repo) == 1);
    int code = stream.terminate();
    assertThat(code).as(stream.toString()).isZero();

    try (FeatureStore store = FeatureStore.open(repo)) {
      FeatureValue v = store.getOnlineFeatures(List.of("driver_hourly_stats:avg_daily_trips"),
          Map.of("driver_id", List.of(1002L))).value(0, 0);
      assertThat(v.status()).isEqualTo(FeatureStatus.PRESENT);
      assertThat(v.value()).isEqualTo(17L);
      assertThat(v.eventTime()).isEqualTo(t);
    }
  }

  /** Commit records of the view's offline data: the materializer consumed and flushed its events. */
  private static long offlineRows(Path repo) throws IOException {
    Path commits = repo.resolve(".quiver/offline/driver_hourly_stats/_commits");
    if (!Files.isDirectory(commits)) {
      return 0;
    }
    try (var files = Files.list(commits)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".json")).count();
    }
  }

  private static HttpResponse<String> post(String url, String body) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
