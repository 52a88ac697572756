package dev.persona.testing;

import dev.persona.config.CollectionConfig;
import dev.persona.config.PersonaConfig;
import dev.persona.routing.DeclaredStores;
import dev.persona.routing.KeyLocation;
import dev.persona.routing.KeyLocator;
import dev.persona.routing.LocalStoreReader;
import dev.persona.routing.Member;
import dev.persona.routing.StoredValue;
import dev.persona.routing.UnavailableReason;
import dev.persona.topology.IndexEntry;
import dev.persona.topology.Json;
import dev.persona.topology.RecordMeta;
import dev.persona.topology.StoredRecord;
import dev.persona.topology.TopicNames;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.state.HostInfo;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A cluster of one instance that holds every partition of every store in memory, for tests of the HTTP layer with no
 * broker: records are put as the merge would store them, their index values claimed; {@link #rebalancing} makes every
 * read wait as it does while partitions move.
 */
public final class MemoryCluster implements KeyLocator, LocalStoreReader {
    private final PersonaConfig config;
    private final DeclaredStores stores;
    private final HostInfo self;
    private final Map<String, Map<String, byte[]>> byStore = new ConcurrentHashMap<>();
    private volatile boolean rebalancing;

    public MemoryCluster(final PersonaConfig config, final HostInfo self) {
        this.config = config;
        this.stores = new DeclaredStores(config);
        this.self = self;
    }

    /** Stores {@code json} as the record {@code id} of {@code collection}, revision 1, and claims its index values. */
    public void put(final String collection, final String id, final String json) {
        final CollectionConfig declared = config.collection(collection).orElseThrow();
        final byte[] body = json.getBytes(StandardCharsets.UTF_8);
        store(TopicNames.recordStore(declared)).put(id, StoredRecord.encode(body, new RecordMeta(1, System.currentTimeMillis(), Map.of(), Map.of())));
        final var record = Json.mapper().createObjectNode();
        try {
            record.setAll((com.fasterxml.jackson.databind.node.ObjectNode) Json.mapper().readTree(body));
        } catch (final java.io.IOException e) {
            throw new IllegalArgumentException(e);
        }
        for (final String index : declared.secondaryIndices()) {
            final String value = IndexEntry.valueOf(declared, index, record.get(index));
            if (value != null) {
                store(TopicNames.indexStore(collection)).put(IndexEntry.key(index, value), IndexEntry.encode(Map.of(id, 1L)));
            }
        }
    }

    /** While true, no key has an owner and no partition answers here: every lookup is a 503. */
    public void rebalancing(final boolean moving) {
        this.rebalancing = moving;
    }

    private Map<String, byte[]> store(final String name) {
        return byStore.computeIfAbsent(name, n -> new ConcurrentHashMap<>());
    }

    @Override
    public HostInfo self() {
        return self;
    }

    @Override
    public KeyLocation locate(final String store, final String key) {
        return rebalancing ? new KeyLocation.Unknown("rebalancing") : new KeyLocation.Local(stores.partition(store, key), Set.of());
    }

    @Override
    public List<Member> members() {
        if (rebalancing) {
            return List.of();
        }
        final Set<TopicPartition> active = new HashSet<>();
        final TopicNames names = new TopicNames(config.kafka());
        for (final CollectionConfig collection : config.collections()) {
            for (int p = 0; p < collection.partitions(); p++) {
                active.add(new TopicPartition(names.purges(collection.name()), p));
            }
        }
        return List.of(new Member(self, active, Set.of()));
    }

    @Override
    public boolean running() {
        return !rebalancing;
    }

    @Override
    public String state() {
        return rebalancing ? "REBALANCING" : "RUNNING";
    }

    @Override
    public StoredValue readLive(final String store, final String key, final int partition) {
        return rebalancing ? StoredValue.NOT_HERE : StoredValue.of(store(store).get(key));
    }

    @Override
    public StoredValue read(final String store, final String key, final int partition) {
        return rebalancing ? new StoredValue.Unavailable(UnavailableReason.REBALANCING, "rebalancing") : StoredValue.of(store(store).get(key));
    }

    @Override
    public StoredValue readStandby(final String store, final String key, final int partition, final long maxLag) {
        return new StoredValue.Unavailable(UnavailableReason.NO_FRESH_COPY, "no standby copies here");
    }

    @Override
    public StoredValue readNearest(final String store, final String key, final int partition, final long maxLag) {
        return StoredValue.NOT_HERE;
    }

    @Override
    public boolean isQueryable(final String store, final Set<Integer> activePartitions) {
        return !rebalancing;
    }
}
