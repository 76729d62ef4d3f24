package dev.quiver.registry;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The embedded default {@link RegistryStore}: one local file in the {@link RegistryCodec} format
 * (by default {@code <repo>/.quiver/registry.json}).
 *
 * <p>A commit takes an exclusive lock on the sidecar file {@code <file>.lock} (an OS file lock
 * across processes, plus a JVM-wide lock per file, since the OS lock is per process), re-reads the
 * file, and writes only if the stored version is still {@code next.version() - 1}
 * (compare-and-swap); otherwise it throws {@link RegistryConflictException}. The new content is
 * written to a temp file in the same folder, fsync'd, atomically renamed over the file, and the
 * folder is fsync'd, so a reader sees the old or the new registry, never a mix.
 *
 * <p>A missing file is the empty registry (version 0). A file that exists but cannot be decoded
 * (truncated, damaged, another format) is a {@link CorruptRegistryException} naming the file,
 * never an empty registry.
 */
public final class LocalFileRegistryStore implements RegistryStore {
  private static final ConcurrentMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

  private final Path file;

  public LocalFileRegistryStore(Path file) {
    this.file = file.toAbsolutePath().normalize();
  }

  /**
   * The store of a feature repo: {@code <repo>/.quiver/registry.json}, or where the repo's
   * {@code quiver.yaml} puts it ({@code state_dir}, {@code registry_path}).
   */
  public static LocalFileRegistryStore forRepo(Path repo) {
    return new LocalFileRegistryStore(FeatureRepo.registryFile(repo));
  }

  public Path file() {
    return file;
  }

  @Override
  public RegistrySnapshot load() {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return RegistrySnapshot.empty();
    } catch (IOException e) {
      throw new QuiverException("Cannot read registry " + file + ": " + e.getMessage(), e);
    }
    return RegistryCodec.decode(bytes, file.toString());
  }

  @Override
  public void commit(RegistrySnapshot next) {
    Path dir = file.getParent();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new QuiverException("Cannot create registry folder " + dir + ": " + e.getMessage(), e);
    }
    ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(file, f -> new ReentrantLock());
    jvmLock.lock();
    try (FileChannel lockChannel = FileChannel.open(lockFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
         FileLock ignored = lockChannel.lock()) {
      long current = load().version();
      if (current != next.version() - 1) {
        throw new RegistryConflictException("Cannot commit registry version " + next.version() + " to " + file
            + ": registry changed since it was read; re-run plan (it is at version " + current
            + ", the change was planned against version " + (next.version() - 1) + ")");
      }
      removeLeftoverTempFiles();
      writeAtomically(RegistryCodec.encode(next));
    } catch (IOException e) {
      throw new QuiverException("Cannot commit registry " + file + ": " + e.getMessage(), e);
    } finally {
      jvmLock.unlock();
    }
  }

  /** Temp files of writers that died before their rename; safe to remove while holding the lock. */
  private void removeLeftoverTempFiles() throws IOException {
    String prefix = file.getFileName() + ".";
    try (java.util.stream.Stream<Path> files = Files.list(file.getParent())) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String n = p.getFileName().toString();
        if (n.startsWith(prefix) && n.endsWith(".tmp")) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  private Path lockFile() {
    return file.resolveSibling(file.getFileName() + ".lock");
  }

  private void writeAtomically(byte[] bytes) throws IOException {
    Path dir = file.getParent();
    Path tmp = Files.createTempFile(dir, file.getFileName() + ".", ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    fsyncDirectory(dir);
  }

  private static void fsyncDirectory(Path dir) {
    // Makes the rename durable. Some platforms cannot open a folder as a channel; the rename is
    // still atomic there, only its durability across a power loss is weaker.
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // best effort, see above
    }
  }

  @Override
  public String toString() {
    return "LocalFileRegistryStore{" + file + "}";
  }
}
