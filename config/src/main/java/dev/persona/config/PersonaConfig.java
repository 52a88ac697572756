package dev.persona.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A whole, validated configuration file. Build one with {@link ConfigLoader}.
 *
 * @param file         where it was read from
 * @param kafka        how to reach Kafka
 * @param collections  the collections, in file order
 * @param destinations the RudderStack-dialect destinations
 * @param syncs        the syncs, in file order
 * @param http         how the API is served and guarded
 * @param drivers      a directory of JDBC driver jars besides {@code $PERSONA_HOME/drivers} (relative to the file), if any
 */
public record PersonaConfig(Path file, KafkaSettings kafka, List<CollectionConfig> collections,
                            List<DestinationConfig> destinations, List<SyncConfig> syncs, HttpSettings http, Optional<Path> drivers) {
    public PersonaConfig(final Path file, final KafkaSettings kafka, final List<CollectionConfig> collections,
                         final List<DestinationConfig> destinations, final List<SyncConfig> syncs, final HttpSettings http) {
        this(file, kafka, collections, destinations, syncs, http, Optional.empty());
    }

    public PersonaConfig {
        collections = List.copyOf(collections);
        destinations = List.copyOf(destinations);
        syncs = List.copyOf(syncs);
    }

    /** The collection with this name, if declared. */
    public Optional<CollectionConfig> collection(final String name) {
        return collections.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    /** The sync with this id, if declared. */
    public Optional<SyncConfig> sync(final String id) {
        return syncs.stream().filter(s -> s.id().equals(id)).findFirst();
    }

    /** The destination with this id, if declared. */
    public Optional<DestinationConfig> destination(final String id) {
        return destinations.stream().filter(d -> d.id().equals(id)).findFirst();
    }

    /** The syncs feeding one collection, in file order. */
    public List<SyncConfig> syncsOf(final String collection) {
        return syncs.stream().filter(s -> s.collection().equals(collection)).toList();
    }

    /** The same configuration against other Kafka settings. */
    public PersonaConfig withKafka(final KafkaSettings settings) {
        return new PersonaConfig(file, settings, collections, destinations, syncs, http, drivers);
    }

    /** The same configuration served with other HTTP settings. */
    public PersonaConfig withHttp(final HttpSettings settings) {
        return new PersonaConfig(file, kafka, collections, destinations, syncs, settings, drivers);
    }
}
