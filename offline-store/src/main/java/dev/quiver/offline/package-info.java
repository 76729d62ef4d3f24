/**
 * The offline store and training-set export.
 *
 * <ul>
 *   <li>{@link dev.quiver.offline.OfflineStore}: the Parquet history (implements the registry's
 *       {@code OfflineSink}); layout and commit-record format in its Javadoc.</li>
 *   <li>{@link dev.quiver.offline.TrainingSetExport}: the point-in-time-correct export, its
 *       manifest and {@link dev.quiver.offline.TrainingSetExport#replay replay}.</li>
 * </ul>
 * Implementations live in {@code dev.quiver.offline.internal}.
 */
package dev.quiver.offline;
