package dev.quiver.materializer.internal;

/**
 * Test-only crash points of the materializer: with the system property {@value #PROPERTY} set to
 * {@code <point>:<n>}, the JVM halts (exit code {@value #EXIT_CODE}, no shutdown hooks, as a
 * SIGKILL would) the n-th time it reaches that point, so a crash test can kill the materializer
 * at its riskiest moment instead of at a moment chosen by a timer. Unset (always, outside tests),
 * a point costs one field read.
 */
public final class CrashPoint {
  public static final String PROPERTY = "quiver.test.materializer-crash-point";
  public static final int EXIT_CODE = 87;
  /** A poll's events and positions are in the online store; the offline flush of them is not handed over. */
  public static final String AFTER_ONLINE_WRITE = "after-online-write";
  /** A poll's dead letters are acknowledged by the broker; the online write that remembers them is not done. */
  public static final String AFTER_DEAD_LETTER_FLUSH = "after-dead-letter-flush";

  private static final String ARMED = System.getProperty(PROPERTY);
  private static int reached;

  private CrashPoint() {}

  public static void reached(String point) {
    if (ARMED != null && ARMED.startsWith(point + ":")
        && ++reached == Integer.parseInt(ARMED.substring(point.length() + 1))) {
      System.out.println("Halting at crash point " + ARMED);
      System.out.flush();
      Runtime.getRuntime().halt(EXIT_CODE);
    }
  }
}
