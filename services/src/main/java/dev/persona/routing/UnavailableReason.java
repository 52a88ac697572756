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
    /** This instance runs a topology version that is still building: its stores do not hold everything yet. */
    BUILDING;

    /** What a client is told: why, without the hosts, partitions and lags that the detail holds for the log. */
    public String explanation() {
        return switch (this) {
            case REBALANCING, MOVED -> "its partition is moving between instances or restoring";
            case OWNER_UNREACHABLE -> "the instance that holds it did not answer in time";
            case NO_FRESH_COPY -> "no copy within the configured lag bound is available";
            case BUILDING -> "this instance runs a new version of the topology that is still building; instances of the running version answer";
        };
    }
}
