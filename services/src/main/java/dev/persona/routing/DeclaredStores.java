package dev.persona.routing;

import dev.persona.config.CollectionConfig;
import dev.persona.config.PersonaConfig;
import dev.persona.topology.KeyPartitions;
import dev.persona.topology.TopicNames;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** The stores a configuration declares (records and indices of each collection), and the collection each serves. */
public final class DeclaredStores {
    private final Map<String, String> collectionByStore = new HashMap<>();
    private final Map<String, Integer> partitionsByStore = new HashMap<>();

    public DeclaredStores(final PersonaConfig config) {
        for (final CollectionConfig collection : config.collections()) {
            if (config.syncsOf(collection.name()).isEmpty()) {
                continue;
            }
            collectionByStore.put(TopicNames.recordStore(collection), collection.name());
            partitionsByStore.put(TopicNames.recordStore(collection), collection.partitions());
            if (!collection.secondaryIndices().isEmpty()) {
                collectionByStore.put(TopicNames.indexStore(collection.name()), collection.name());
                partitionsByStore.put(TopicNames.indexStore(collection.name()), collection.partitions());
            }
        }
    }

    /** The collection a declared store serves. */
    public Optional<String> collectionOf(final String store) {
        return Optional.ofNullable(collectionByStore.get(store));
    }

    /**
     * The partition of a declared store that holds {@code key}: Kafka's default partitioner (murmur2 of the UTF-8
     * key), as the changelog and repartition topics use, over the collection's partition count.
     */
    public int partition(final String store, final String key) {
        return KeyPartitions.of(key, partitionsByStore.get(store));
    }

    /**
     * @throws IllegalArgumentException when the store is not declared
     */
    void require(final String store) {
        if (!collectionByStore.containsKey(store)) {
            throw new IllegalArgumentException("store '" + store + "' is not declared by the configuration");
        }
    }
}
