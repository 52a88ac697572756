package dev.persona.topology;

import dev.persona.topology.internals.PartitionBookkeeping;

import java.util.List;
import java.util.Map;

/**
 * What a store of a collection whose partition count changes holds in its new partitions, for the copy that makes the
 * new topology version: a keyed store's records go to their key's partition (Kafka's default partitioner, as
 * {@link KeyPartitions}); the purge store's are each a partition's own bookkeeping, combined for every new one.
 */
public final class StoreResize {
    private StoreResize() {
    }

    /** Whether the records of {@code store} are a partition's own bookkeeping rather than keyed (the purge store's). */
    public static boolean ownEntries(final String store) {
        return store.startsWith(TopicNames.purgeStore(""));
    }

    /**
     * What every new partition of a resized purge store starts with ({@link PartitionBookkeeping#resized}).
     *
     * @param partitions each old partition's entries, key to value as its changelog last held them (null: removed)
     */
    public static Map<String, byte[]> combined(final List<Map<String, byte[]>> partitions) {
        return PartitionBookkeeping.resized(partitions);
    }
}
