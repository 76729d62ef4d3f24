package dev.quiver.offline.archfixture;

import dev.quiver.online.OnlineStore;

/** Deliberately makes the offline store use the online store; only the architecture test reads it. */
public final class OfflineStoreClassUsingOnlineStore {
  public OnlineStore store;
}
