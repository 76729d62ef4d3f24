package dev.quiver.cli;

import dev.quiver.registry.InvalidDefinitionException;
import dev.quiver.registry.UserInputException;
import java.io.PrintWriter;
import java.time.Clock;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code quiver} command line. Exit codes: 0 success, 2 a user error (bad definitions, a
 * refused apply, a registry conflict, a bad option: every {@link UserInputException}), 1 anything
 * else. Errors print as clean lines on stderr, never a stack trace.
 *
 * <p>To add a subcommand, write one class per command (with {@code mixinStandardHelpOptions} and
 * usage examples in its footer) and add it to the {@code subcommands} list below: one line.
 */
@Command(name = "quiver",
    mixinStandardHelpOptions = true,
    version = "quiver 0.1.0-SNAPSHOT",
    description = "Quiver: a feature store for machine learning. Definitions live in a folder of YAML files "
        + "(a feature repo); plan and apply them to the registry like terraform.",
    subcommands = {
        // The one list of subcommands; keep one per line.
        PlanCommand.class,
        ApplyCommand.class,
        ListCommand.class,
        DescribeCommand.class,
        InitCommand.class,
        ServeCommand.class,
        PushCommand.class,
        GetCommand.class,
        ExportCommand.class,
        MaterializeCommand.class,
        CheckConsistencyCommand.class,
        CommandLine.HelpCommand.class,
    },
    footer = {
        "",
        "Examples:",
        "  quiver plan -r example       show what apply would change",
        "  quiver apply -r example      commit the definitions to the registry",
        "  quiver list -r example       list the registered definitions",
        "  quiver describe driver_hourly_stats -r example",
        "  quiver init demo             write an example repo (then apply and serve it)",
        "  quiver serve -r demo         Kafka, materializer and HTTP server until Ctrl-C",
        "  quiver push -r demo --view driver_hourly_stats --file events.csv",
        "  quiver get -r demo --service driver_ranking --entity driver_id=1001",
        "  quiver export -r demo --spine spine.csv --service driver_ranking --out t.parquet",
        "  quiver materialize -r demo --start 2024-05-01 --end 2024-05-02",
        "  quiver check-consistency -r demo  online values against the training set",
        "  quiver apply --help          help of one command",
        "",
        "Exit codes: 0 success, 2 user error (bad definitions, refused apply), 1 anything else",
        "(run with -Dquiver.log.level=debug, e.g. JAVA_TOOL_OPTIONS, for its stack trace).",
    })
public final class QuiverCli implements Runnable {
  /** Exit code of a user error. */
  public static final int EXIT_USER_ERROR = 2;
  /** Exit code of any other failure. */
  public static final int EXIT_FAILURE = 1;

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(QuiverCli.class);

  private final Clock clock;

  @Spec
  CommandSpec spec;

  public QuiverCli() {
    this(Clock.systemUTC());
  }

  /**
   * A CLI whose commands take the time from {@code clock}: apply's version stamps, and the store's
   * one clock in serve, materialize and check-consistency (tests).
   */
  public QuiverCli(Clock clock) {
    this.clock = clock;
  }

  Clock clock() {
    return clock;
  }

  /** The settings of the repo folder; a user error naming it when it is not a folder. */
  static dev.quiver.sdk.QuiverConfig config(java.nio.file.Path repo) {
    if (!java.nio.file.Files.isDirectory(repo)) {
      throw new dev.quiver.registry.UserInputException("Cannot open feature repo " + repo + ": not a folder");
    }
    return dev.quiver.sdk.QuiverConfig.load(repo);
  }

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing a command; see the list below");
  }

  /** A configured command line: exit codes, error printing. */
  public static CommandLine commandLine(QuiverCli cli) {
    CommandLine cl = new CommandLine(cli);
    cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> report(ex, cmd.getErr()));
    return cl;
  }

  /** Runs the CLI with the given streams and returns the exit code. */
  public static int run(QuiverCli cli, PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = commandLine(cli);
    cl.setOut(out);
    cl.setErr(err);
    int code = cl.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  public static void main(String[] args) {
    CommandLine cl = commandLine(new QuiverCli());
    int code = cl.execute(args);
    cl.getOut().flush();
    cl.getErr().flush();
    System.exit(code);
  }

  static int report(Exception ex, PrintWriter err) {
    if (ex instanceof InvalidDefinitionException) {
      InvalidDefinitionException ide = (InvalidDefinitionException) ex;
      int n = ide.problems().size();
      err.println("Cannot load definitions: " + n + (n == 1 ? " problem" : " problems") + ":");
      ide.problems().forEach(p -> err.println("  " + p));
      return EXIT_USER_ERROR;
    }
    if (ex instanceof UserInputException) {
      err.println(ex.getMessage());
      return EXIT_USER_ERROR;
    }
    LOG.debug("quiver failed", ex);
    String message = ex.getMessage() == null ? ex.getClass().getSimpleName()
        : ex instanceof dev.quiver.registry.QuiverException ? ex.getMessage()
        : ex.getClass().getSimpleName() + ": " + ex.getMessage();
    err.println(message.startsWith("Cannot ") ? message : "Cannot complete the command: " + message);
    return EXIT_FAILURE;
  }
}
