package dev.quiver.sdk.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * What a running {@code quiver serve} tells other commands of the same repo, in
 * {@code <state dir>/serve.json} (format 1, UTF-8 JSON, written to a temp file, fsync'd, renamed;
 * removed on a clean shutdown):
 * <pre>{"format": 1, "pid": 1234, "url": "http://127.0.0.1:6566", "bootstrap_servers": "localhost:40123"}</pre>
 * {@code url} is null when no HTTP server runs ({@code materialize --stream}). A file whose
 * process is gone (a killed server) counts as absent.
 *
 * @param pid the serving process
 * @param url the HTTP server's base URL, or null
 * @param bootstrapServers the Kafka bootstrap servers the server uses
 */
public record ServeState(long pid, String url, String bootstrapServers) {
  public static final String FILE_NAME = "serve.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The file of a state dir. */
  public static Path file(Path stateDir) {
    return stateDir.resolve(FILE_NAME);
  }

  /** Writes this state atomically. */
  public void write(Path stateDir) {
    ObjectNode n = JSON.createObjectNode();
    n.put("format", 1);
    n.put("pid", pid);
    n.put("url", url);
    n.put("bootstrap_servers", bootstrapServers);
    Path target = file(stateDir);
    try {
      Files.createDirectories(stateDir);
      Path tmp = Files.createTempFile(stateDir, ".tmp-serve", ".json");
      Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + target + ": " + e.getMessage(), e);
    }
  }

  /** Removes the file if it still names this process. */
  public void remove(Path stateDir) {
    Optional<ServeState> cur = read(stateDir);
    if (cur.isPresent() && cur.get().pid() == pid) {
      try {
        Files.deleteIfExists(file(stateDir));
      } catch (IOException e) {
        // best effort: a stale file names a dead process and is ignored
      }
    }
  }

  /** The state of a live serving process of this repo, if any. */
  public static Optional<ServeState> read(Path stateDir) {
    Path f = file(stateDir);
    if (!Files.isRegularFile(f)) {
      return Optional.empty();
    }
    try {
      JsonNode n = JSON.readTree(Files.readAllBytes(f));
      if (n == null || n.path("format").asInt() != 1) {
        return Optional.empty();
      }
      long pid = n.path("pid").asLong();
      boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
      if (!alive) {
        return Optional.empty();
      }
      JsonNode url = n.get("url");
      return Optional.of(new ServeState(pid, url == null || url.isNull() ? null : url.asText(),
          n.path("bootstrap_servers").asText(null)));
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
