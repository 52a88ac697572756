package dev.persona.topology.internals;

/** What the topology tests may read of the aggregator's bounds. */
public final class NestAggregatorAccess {
    private NestAggregatorAccess() {
    }

    public static int spare(final int limit) {
        return NestAggregator.spare(limit);
    }
}
