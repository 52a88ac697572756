package dev.persona.topology;

import org.apache.kafka.streams.state.KeyValueStore;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The store partitions this instance is actively processing right now, registered by the processors that write
 * them: a processor is initialised when its task is running (restoration done) and closed when the task is
 * suspended or moves away. Lookups read these directly, instead of asking Kafka Streams' interactive-query layer to
 * find the store among all tasks on every call.
 */
public final class LiveStores {
    private final Map<String, Map<Integer, KeyValueStore<String, byte[]>>> stores = new ConcurrentHashMap<>();
    /** Scans of stored records under way here (an index back-filled, a removed sync's writes removed). */
    private final java.util.Set<String> scans = ConcurrentHashMap.newKeySet();

    /** A scan of stored records named {@code what} started ({@code true}) or ended. */
    public void scanning(final String what, final boolean running) {
        if (running) {
            scans.add(what);
        } else {
            scans.remove(what);
        }
    }

    /**
     * Whether a scan of stored records is under way here: until it ends, what the stores hold is not yet what the
     * configuration makes of them (a new index misses records, a removed sync's fields are still there).
     */
    public boolean anyScanning() {
        return !scans.isEmpty();
    }

    /** A processor of {@code partition} of {@code store} started with this store. */
    public void opened(final String store, final int partition, final KeyValueStore<String, byte[]> handle) {
        stores.computeIfAbsent(store, s -> new ConcurrentHashMap<>()).put(partition, handle);
    }

    /** The processor that registered {@code handle} closed: its task is suspended, closed or moved away. */
    public void closed(final String store, final int partition, final KeyValueStore<String, byte[]> handle) {
        final Map<Integer, KeyValueStore<String, byte[]>> partitions = stores.get(store);
        if (partitions != null) {
            partitions.remove(partition, handle);
        }
    }

    /** The active store of {@code partition}, or null when this instance is not processing it right now. */
    public KeyValueStore<String, byte[]> get(final String store, final int partition) {
        final Map<Integer, KeyValueStore<String, byte[]>> partitions = stores.get(store);
        return partitions == null ? null : partitions.get(partition);
    }
}
