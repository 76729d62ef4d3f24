package dev.quiver.online.archfixture;

import dev.quiver.offline.OfflineStore;

/** Deliberately makes the online store use the offline store; only the architecture test reads it. */
public final class OnlineStoreClassUsingOfflineStore {
  public OfflineStore store;
}
