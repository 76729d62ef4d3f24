/**
 * The online store: {@link dev.quiver.online.OnlineStore} (RocksDB, in-process lookups, the
 * materializer's {@link dev.quiver.registry.OnlineSink}) and {@link dev.quiver.online.OnlineServer}
 * (Feast-compatible HTTP: {@code POST /get-online-features}, {@code POST /push} through a
 * {@link dev.quiver.online.PushHandler}, {@code GET /health}, {@code GET /metrics}).
 * Implementations live in {@code dev.quiver.online.internal}.
 */
package dev.quiver.online;
