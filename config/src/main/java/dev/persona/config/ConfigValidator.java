package dev.persona.config;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** The rules that span several parts of a file: names, references, field ownership, indices. */
final class ConfigValidator {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]+");

    private final String file;

    ConfigValidator(final String file) {
        this.file = file;
    }

    void validate(final PersonaConfig config) {
        if (config.collections().isEmpty()) {
            throw fail("collections", "no collection is declared", "declare at least one collection under 'collections:'");
        }
        final Set<String> collections = new HashSet<>();
        for (int i = 0; i < config.collections().size(); i++) {
            final CollectionConfig collection = config.collections().get(i);
            final String at = "collections[" + i + "]";
            requireName(at + ".name", collection.name(), "collection name");
            if (!collections.add(collection.name())) {
                throw fail(at + ".name", "duplicate collection '" + collection.name() + "'", "give every collection its own name");
            }
            final Set<String> indices = new HashSet<>();
            for (final String index : collection.secondaryIndices()) {
                if (index.equals(collection.primaryIndex()) || !indices.add(index)) {
                    throw fail(at + ".secondaryIndices", "index '" + index + "' is listed twice or is the primary index",
                            "list each secondary index once and leave the primary index out");
                }
            }
        }
        validateSyncs(config, collections);
        validateDestinations(config, collections);
        validateIndicesAreMapped(config);
    }

    private void validateSyncs(final PersonaConfig config, final Set<String> collections) {
        final Set<String> ids = new HashSet<>();
        final Map<String, Map<String, String>> ownerByFieldByCollection = new HashMap<>();
        final Map<String, String> includingAll = new HashMap<>();
        for (int i = 0; i < config.syncs().size(); i++) {
            final SyncConfig sync = config.syncs().get(i);
            final String at = "syncs[" + i + "]";
            requireName(at + ".id", sync.id(), "sync id");
            if (!ids.add(sync.id())) {
                throw fail(at + ".id", "duplicate sync id '" + sync.id() + "'", "give every sync its own id");
            }
            if (!collections.contains(sync.collection())) {
                throw fail(at + ".collection", "unknown collection '" + sync.collection() + "'",
                        "use one of the declared collections: " + String.join(", ", sorted(collections)));
            }
            if (sync.mapping().isEmpty() && sync.includeAll().isEmpty()) {
                throw fail(at + ".mapping", "the sync maps no field", "add at least one '- { from: <column> }', or '- include: \"*\"'");
            }
            if (sync.includeAll().isPresent()) {
                final String other = includingAll.putIfAbsent(sync.collection(), sync.id());
                if (other != null) {
                    throw fail(at + ".mapping", "sync '" + other + "' of collection '" + sync.collection() + "' already includes every column",
                            "let one sync of a collection use include: \"*\" and map the other's columns with from:");
                }
            }
            final String primaryIndex = config.collection(sync.collection()).orElseThrow().primaryIndex();
            final Map<String, String> owners = ownerByFieldByCollection.computeIfAbsent(sync.collection(), c -> new HashMap<>());
            final Set<String> own = new HashSet<>();
            for (int m = 0; m < sync.mapping().size(); m++) {
                final String field = sync.mapping().get(m).to();
                final String fieldAt = at + ".mapping[" + m + "]";
                if (field.equals(primaryIndex)) {
                    throw fail(fieldAt, "maps the primary index '" + primaryIndex + "'",
                            "remove this mapping: Persona sets '" + primaryIndex + "' from the key (the column named by primaryKey)");
                }
                if (!own.add(field)) {
                    throw fail(fieldAt, "field '" + field + "' is mapped twice in this sync", "map each field once");
                }
                final String owner = owners.putIfAbsent(field, sync.id());
                if (owner != null) {
                    throw fail(fieldAt, "field '" + field + "' of collection '" + sync.collection()
                                    + "' is already owned by sync '" + owner + "'",
                            "let one sync own '" + field + "', or rename it with 'to:' in one of them");
                }
            }
        }
    }

    private void validateDestinations(final PersonaConfig config, final Set<String> collections) {
        final Set<String> ids = new HashSet<>();
        for (int i = 0; i < config.destinations().size(); i++) {
            final DestinationConfig destination = config.destinations().get(i);
            final String at = "destinations[" + i + "]";
            if (!ids.add(destination.id())) {
                throw fail(at + ".id", "duplicate destination id '" + destination.id() + "'", "give every destination its own id");
            }
            for (final String collection : destination.collections()) {
                if (!collections.contains(collection)) {
                    throw fail(at + ".collections", "unknown collection '" + collection + "'",
                            "use one of the declared collections: " + String.join(", ", sorted(collections)));
                }
            }
        }
    }

    private void validateIndicesAreMapped(final PersonaConfig config) {
        for (int i = 0; i < config.collections().size(); i++) {
            final CollectionConfig collection = config.collections().get(i);
            // A collection nothing feeds has no source for Kafka Streams to read: start-up died with a TopologyException.
            if (config.syncsOf(collection.name()).isEmpty()) {
                throw fail("collections[" + i + "]", "collection '" + collection.name() + "' has no sync feeding it",
                        "add a sync with 'collection: " + collection.name() + "' under 'syncs:', or remove the collection");
            }
            final Set<String> mapped = new HashSet<>();
            config.syncsOf(collection.name()).forEach(s -> mapped.addAll(s.ownedFields()));
            for (final String index : collection.secondaryIndices()) {
                if (!mapped.contains(index)) {
                    throw fail("collections[" + i + "].secondaryIndices", "index '" + index + "' is a field that no sync maps",
                            "map a column to '" + index + "' in a sync of '" + collection.name() + "', or remove the index");
                }
            }
        }
    }

    private void requireName(final String key, final String value, final String what) {
        if (!NAME.matcher(value).matches()) {
            throw fail(key, what + " '" + value + "' is not alphanumeric", "use only letters and digits (it becomes part of URLs and topic names)");
        }
    }

    private ConfigException fail(final String key, final String problem, final String fix) {
        return new ConfigException(file, key, problem, fix);
    }

    private static List<String> sorted(final Set<String> names) {
        return names.stream().sorted().toList();
    }
}
