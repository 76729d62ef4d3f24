package dev.quiver.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;

/** Runs the CLI in-process and keeps what a user would see. */
final class CliRun {
  final int code;
  final String out;
  final String err;

  private CliRun(int code, String out, String err) {
    this.code = code;
    this.out = out;
    this.err = err;
  }

  static CliRun run(Clock clock, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = QuiverCli.run(new QuiverCli(clock), new PrintWriter(out), new PrintWriter(err), args);
    return new CliRun(code, out.toString(), err.toString());
  }

  static CliRun run(String... args) {
    return run(Clock.systemUTC(), args);
  }

  /** {@code quiver init} then {@code quiver apply} into {@code dir}. */
  static void initAndApply(Path dir) {
    CliRun init = run("init", dir.toString());
    if (init.code != 0) {
      throw new AssertionError(init.err);
    }
    CliRun apply = run("apply", "-r", dir.toString());
    if (apply.code != 0) {
      throw new AssertionError(apply.err);
    }
  }

  @Override
  public String toString() {
    return "exit " + code + "\nout:\n" + out + "\nerr:\n" + err;
  }
}
