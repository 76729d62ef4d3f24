/**
 * The Quiver SDK. {@link dev.quiver.sdk.FeatureStore} is one feature repo (settings in
 * {@link dev.quiver.sdk.QuiverConfig}): plan/apply, push, in-process online lookups, training-set
 * exports ({@link dev.quiver.sdk.HistoricalFeatures}), batch materialization, consistency checks
 * ({@link dev.quiver.sdk.ConsistencyReport}) and serving ({@link dev.quiver.sdk.FeatureServer}).
 * {@link dev.quiver.sdk.RemoteFeatureStore} is the same lookup API over HTTP; both implement
 * {@link dev.quiver.sdk.OnlineFeatureLookup} and answer with an {@link dev.quiver.sdk.OnlineResult}.
 * Classes in {@code dev.quiver.sdk.internal} are for the CLI, not a public API.
 */
package dev.quiver.sdk;
