package dev.persona.routing;

import java.util.Set;

/**
 * This instance's copies of keys: the reads that need no other instance. {@link StreamsStoreReader} reads them from
 * Kafka Streams' stores. A read that could only wait answers {@link StoredValue#NOT_HERE} or unavailable, never a 404
 * for a key that may exist.
 */
public interface LocalStoreReader {

    /**
     * Reads {@code key} from {@code partition} of {@code store} when this instance is processing that partition right
     * now; {@link StoredValue#NOT_HERE} otherwise (then {@link #read} and the key's owner decide). The lookup's fast
     * path: no search through Streams' tasks, no metadata query.
     */
    StoredValue readLive(String store, String key, int partition);

    /** Reads {@code key} from {@code partition} of {@code store}; unavailable when this instance is not its active owner. */
    StoredValue read(String store, String key, int partition);

    /**
     * Reads {@code key} from this instance's standby copy of {@code partition}, if it hosts one whose offset lag is at
     * most {@code maxLag}; the answer is marked stale with that lag.
     */
    StoredValue readStandby(String store, String key, int partition, long maxLag);

    /**
     * Reads {@code key} from whatever copy of {@code partition} this instance holds, a standby included, when its
     * offset lag, as last measured, is at most {@code maxLag}: the lookup path of {@code kafka.readFrom: nearest},
     * without waiting on anything. {@link StoredValue#NOT_HERE} when there is no such copy here; a standby's answer is
     * marked stale with its lag.
     */
    StoredValue readNearest(String store, String key, int partition, long maxLag);

    /** Whether each of these partitions of {@code store}, which this instance should actively host, answers queries. */
    boolean isQueryable(String store, Set<Integer> activePartitions);
}
