package dev.persona.routing;

import dev.persona.config.CollectionConfig;
import dev.persona.config.PersonaConfig;
import dev.persona.topology.TopicNames;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** The stores a configuration declares (records and indices of each collection), and the collection each serves. */
public final class DeclaredStores {
    private final Map<String, String> collectionByStore = new HashMap<>();

    public DeclaredStores(final PersonaConfig config) {
        for (final CollectionConfig collection : config.collections()) {
            if (config.syncsOf(collection.name()).isEmpty()) {
                continue;
            }
            collectionByStore.put(TopicNames.recordStore(collection), collection.name());
            if (!collection.secondaryIndices().isEmpty()) {
                collectionByStore.put(TopicNames.indexStore(collection.name()), collection.name());
            }
        }
    }

    /** The collection a declared store serves. */
    public Optional<String> collectionOf(final String store) {
        return Optional.ofNullable(collectionByStore.get(store));
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
