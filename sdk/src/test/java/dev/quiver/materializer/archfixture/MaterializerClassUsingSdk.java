package dev.quiver.materializer.archfixture;

import dev.quiver.sdk.FeatureStore;

/** Deliberately points up from the materializer; only the architecture test reads it. */
public final class MaterializerClassUsingSdk {
  public FeatureStore store;
}
