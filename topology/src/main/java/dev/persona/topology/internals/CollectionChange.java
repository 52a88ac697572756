package dev.persona.topology.internals;

/**
 * What reaches a collection's merge: a sync's mapped change ({@link SyncChange}), or a request to purge the record
 * ({@link PurgeRequest}).
 */
public sealed interface CollectionChange permits SyncChange, PurgeRequest {
    /** When it happened, epoch milliseconds. */
    long ts();
}
