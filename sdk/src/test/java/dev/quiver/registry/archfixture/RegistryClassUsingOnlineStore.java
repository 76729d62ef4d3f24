package dev.quiver.registry.archfixture;

import dev.quiver.online.OnlineStore;

/** Deliberately points up from the registry; only the architecture test reads it. */
public final class RegistryClassUsingOnlineStore {
  public OnlineStore store;
}
