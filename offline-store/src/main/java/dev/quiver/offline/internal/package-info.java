/** Implementation of the offline store and export: columns, Parquet I/O, the join. Not an API. */
package dev.quiver.offline.internal;
