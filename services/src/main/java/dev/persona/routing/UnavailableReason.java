package dev.persona.routing;

/** Why a key cannot be read right now (failures as data, as in Kafka Streams' {@code FailureReason}). */
public enum UnavailableReason {
    /** Partitions are moving, or the store is restoring: no instance can answer for the key yet. */
    REBALANCING,
    /** The owner (or a standby host) did not answer in time. */
    OWNER_UNREACHABLE,
    /** A forwarded request met a key that moved again: it is not forwarded a second time. */
    MOVED,
    /** No copy here is fresh enough: none, or lagging beyond {@code kafka.maxStaleLag}. */
    NO_FRESH_COPY,
    /** The fast path only: this instance does not process the key's partition now; the full path finds it. */
    NOT_HERE
}
