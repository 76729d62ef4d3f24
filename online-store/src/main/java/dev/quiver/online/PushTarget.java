package dev.quiver.online;

/** Where pushed rows go, as Feast's {@code "to"} field names it. */
public enum PushTarget {
  ONLINE("online"),
  OFFLINE("offline"),
  ONLINE_AND_OFFLINE("online_and_offline");

  private final String wireName;

  PushTarget(String wireName) {
    this.wireName = wireName;
  }

  /** The name on the wire: {@code online}, {@code offline}, {@code online_and_offline}. */
  public String wireName() {
    return wireName;
  }
}
