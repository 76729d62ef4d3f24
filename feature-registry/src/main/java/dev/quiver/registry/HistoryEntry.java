package dev.quiver.registry;

import java.time.Instant;

/** One committed registry version: when it was applied, its content hash, and what changed. */
public record HistoryEntry(long registryVersion, Instant appliedAt, String hash, String summary) {}
