package dev.persona.routing;

import dev.persona.topology.LiveStores;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.LagInfo;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiPredicate;

/**
 * Reads this instance's copies of a key from Kafka Streams' stores.
 * <p>
 * Why not Interactive Queries v2: in Kafka Streams 4.3, an IQv2 {@code KeyQuery} takes the store's position lock
 * and then the RocksDB store's lock, while a write takes them the other way round, so lookups during ingest can
 * deadlock the stream thread (KAFKA-19629; Persona stays on Debezium's Kafka 4.3).
 * {@code ReadOnlyKeyValueStore#get} takes no lock a write holds ({@code ConcurrentReadRocksDBStore}).
 * {@code ConcurrentReadWriteIT} guards this.
 */
public final class StreamsStoreReader implements LocalStoreReader {
    /** Refreshes the lags behind {@code readFrom: nearest}: one thread for every instance of this JVM, idle between refreshes. */
    private static final java.util.concurrent.Executor LAG_REFRESHER = java.util.concurrent.Executors.newSingleThreadExecutor(task -> {
        final Thread thread = new Thread(task, "persona-lag-refresher");
        thread.setDaemon(true);
        return thread;
    });

    private final KafkaStreams streams;
    private final LiveStores live;
    private final BiPredicate<String, Integer> restoring;
    private final java.util.function.BooleanSupplier building;
    private static final StoredValue BUILDING = new StoredValue.Unavailable(UnavailableReason.BUILDING,
            "the topology version this instance runs is still building");
    private final Map<String, ReadOnlyKeyValueStore<String, byte[]>> handles = new ConcurrentHashMap<>();
    /** Handles that read standby copies as well as active ones, for {@link #readNearest}. */
    private final Map<String, ReadOnlyKeyValueStore<String, byte[]>> anyCopy = new ConcurrentHashMap<>();
    /**
     * This instance's copies and their offset lags, as Streams last reported them: asking costs a call to the
     * broker, so lookups never ask; {@link #readNearest} refreshes it in the background when older than
     * {@link #LAG_REFRESH} and stops trusting it past {@link #LAG_TRUSTED}.
     */
    private volatile Lags lags = new Lags(Map.of(), 0);
    private final java.util.concurrent.atomic.AtomicBoolean refreshing = new java.util.concurrent.atomic.AtomicBoolean();
    private static final long LAG_REFRESH = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(250);
    private static final long LAG_TRUSTED = java.util.concurrent.TimeUnit.SECONDS.toNanos(2);

    private record Lags(Map<String, Map<Integer, LagInfo>> byStore, long at) {
    }

    /**
     * @param restoring whether a partition of a store is restoring from its changelog here now (Streams' restore
     *                  listener knows): its registered store may then hold an older state, or nothing
     */
    public StreamsStoreReader(final KafkaStreams streams, final LiveStores live, final BiPredicate<String, Integer> restoring) {
        this(streams, live, restoring, () -> false);
    }

    /**
     * @param building whether the topology version this instance runs is still building: nothing is read here then, by
     *                 any path (its stores hold the copied state and part of what the new version adds)
     */
    public StreamsStoreReader(final KafkaStreams streams, final LiveStores live, final BiPredicate<String, Integer> restoring,
                              final java.util.function.BooleanSupplier building) {
        this.building = building;
        this.streams = streams;
        this.live = live;
        this.restoring = restoring;
    }

    @Override
    public StoredValue readLive(final String store, final String key, final int partition) {
        final KeyValueStore<String, byte[]> handle = live.get(store, partition);
        if (handle == null || restoring.test(store, partition) || building.getAsBoolean()) {
            return StoredValue.NOT_HERE;
        }
        final StoredValue value;
        try {
            value = StoredValue.of(handle.get(key));
        } catch (final InvalidStateStoreException closedMeanwhile) {
            return StoredValue.NOT_HERE;
        }
        // An absent key is confirmed by Streams before it becomes a 404: a task whose state was found corrupted is
        // wiped and revived with the same store object, which may stay registered here while it restores from
        // nothing (seen in the fault suite with every broker down: a 404 for a record that exists).
        if (value == StoredValue.ABSENT && read(store, key, partition) instanceof StoredValue.Unavailable) {
            return StoredValue.NOT_HERE;
        }
        return value;
    }

    @Override
    public StoredValue read(final String store, final String key, final int partition) {
        if (building.getAsBoolean()) {
            return BUILDING;
        }
        final String handleKey = store + '#' + partition;
        try {
            final ReadOnlyKeyValueStore<String, byte[]> handle = handles.computeIfAbsent(handleKey, k -> streams.store(
                    StoreQueryParameters.fromNameAndType(store, QueryableStoreTypes.<String, byte[]>keyValueStore()).withPartition(partition)));
            return StoredValue.of(handle.get(key));
        } catch (final InvalidStateStoreException e) {
            // The partition moved, is restoring, or the instance is rebalancing: the next call asks Streams afresh.
            handles.remove(handleKey);
            return new StoredValue.Unavailable(UnavailableReason.REBALANCING, "partition " + partition + " is not queryable here (" + streams.state() + ")");
        } catch (final StreamsException | IllegalStateException e) {
            handles.remove(handleKey);
            return new StoredValue.Unavailable(UnavailableReason.REBALANCING, "the store is not queryable: " + e.getMessage());
        }
    }

    @Override
    public StoredValue readStandby(final String store, final String key, final int partition, final long maxLag) {
        if (building.getAsBoolean()) {
            return BUILDING;
        }
        try {
            final Map<Integer, LagInfo> lags = streams.allLocalStorePartitionLags().get(store);
            final LagInfo lag = lags == null ? null : lags.get(partition);
            if (lag == null) {
                return new StoredValue.Unavailable(UnavailableReason.NO_FRESH_COPY, "no copy of partition " + partition + " here");
            }
            if (lag.offsetLag() > maxLag) {
                return new StoredValue.Unavailable(UnavailableReason.NO_FRESH_COPY, "the copy of partition " + partition + " here lags by " + lag.offsetLag() + " (limit " + maxLag + ")");
            }
            final byte[] stored = streams.store(StoreQueryParameters.fromNameAndType(store, QueryableStoreTypes.<String, byte[]>keyValueStore())
                    .enableStaleStores().withPartition(partition)).get(key);
            if (stored == null) {
                // A copy that is behind may simply not have the record yet: only an up-to-date copy may say "absent"
                // (under exactly-once the last changelog offset is a transaction marker, hence a lag of 1).
                return lag.offsetLag() <= 1 ? StoredValue.ABSENT
                        : new StoredValue.Unavailable(UnavailableReason.NO_FRESH_COPY, "the copy of partition " + partition + " here lags by " + lag.offsetLag() + " and lacks the key");
            }
            return new StoredValue.Found(stored, true, lag.offsetLag());
        } catch (final StreamsException | IllegalStateException e) {
            return new StoredValue.Unavailable(UnavailableReason.REBALANCING, "the copy of partition " + partition + " here is not queryable");
        }
    }

    @Override
    public StoredValue readNearest(final String store, final String key, final int partition, final long maxLag) {
        final Lags known = currentLags();
        final Map<Integer, LagInfo> ofStore = known.byStore().get(store);
        final LagInfo lag = ofStore == null ? null : ofStore.get(partition);
        if (lag == null || lag.offsetLag() > maxLag || restoring.test(store, partition) || building.getAsBoolean()) {
            return StoredValue.NOT_HERE;
        }
        final String handleKey = store + '#' + partition;
        final byte[] stored;
        try {
            stored = anyCopy.computeIfAbsent(handleKey, k -> streams.store(StoreQueryParameters.fromNameAndType(store,
                    QueryableStoreTypes.<String, byte[]>keyValueStore()).enableStaleStores().withPartition(partition))).get(key);
        } catch (final StreamsException | IllegalStateException e) {
            anyCopy.remove(handleKey);
            return StoredValue.NOT_HERE;
        }
        if (stored == null) {
            // Only a copy that is up to date may say "absent" (under exactly-once the last offset is a marker: lag 1).
            return lag.offsetLag() <= 1 ? StoredValue.ABSENT : StoredValue.NOT_HERE;
        }
        return new StoredValue.Found(stored, true, lag.offsetLag());
    }

    private Lags currentLags() {
        final Lags known = lags;
        final long age = System.nanoTime() - known.at();
        if (age > LAG_REFRESH && refreshing.compareAndSet(false, true)) {
            LAG_REFRESHER.execute(() -> {
                try {
                    lags = new Lags(Map.copyOf(streams.allLocalStorePartitionLags()), System.nanoTime());
                } catch (final RuntimeException e) {
                    // Not running, or rebalancing: the next lookup asks again, and trusts nothing old meanwhile.
                } finally {
                    refreshing.set(false);
                }
            });
        }
        return age > LAG_TRUSTED ? new Lags(Map.of(), known.at()) : known;
    }

    @Override
    public boolean isQueryable(final String store, final java.util.Set<Integer> activePartitions) {
        if (streams.state() != KafkaStreams.State.RUNNING) {
            return false;
        }
        return activePartitions.stream().noneMatch(p -> read(store, "\u0000readiness", p) instanceof StoredValue.Unavailable);
    }
}
