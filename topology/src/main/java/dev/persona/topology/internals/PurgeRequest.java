package dev.persona.topology.internals;

/**
 * Remove the record everywhere and keep the syncs that wrote it from bringing it back until their sources delete it
 * ({@link PurgeGate}).
 *
 * @param ts when the purge was asked for, epoch milliseconds
 */
public record PurgeRequest(long ts) implements CollectionChange {
}
