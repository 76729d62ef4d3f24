package dev.quiver.offline.archfixture;

import dev.quiver.materializer.Materializer;

/** Deliberately wires the materializer outside the sdk; only the architecture test reads it. */
public final class OfflineStoreClassUsingMaterializer {
  public Materializer materializer;
}
