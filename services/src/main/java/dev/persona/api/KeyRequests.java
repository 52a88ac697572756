package dev.persona.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.config.CollectionConfig;
import dev.persona.config.PersonaConfig;
import dev.persona.config.SyncConfig;
import dev.persona.keys.ApiKey;
import dev.persona.keys.KeySpec;
import dev.persona.config.RateLimit;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads the body of {@code POST /admin/keys} into a {@link KeySpec}, refusing anything it cannot read exactly: a
 * scope that is not a list of declared collections (or {@code "*"}) used to become an empty list, which read
 * everything.
 */
final class KeyRequests {
    private KeyRequests() {
    }

    /**
     * The key a body asks for.
     *
     * @throws ApiException 400 naming the member that is wrong and what it should be
     */
    static KeySpec spec(final PersonaConfig config, final JsonNode body) {
        final JsonNode nameNode = body.path("name");
        if (!nameNode.isTextual() || nameNode.asText().isBlank()) {
            throw ApiException.badRequest("invalid_body", "\"name\" is required: a string that says what the key is for");
        }
        final boolean admin = Requests.bool(body, "admin");
        final List<String> collections = collections(config, body.get("collections"), admin);
        final RateLimit rate = rate(body.get("rate"));
        final List<String> fields = fields(config, body.get("fields"), collections);
        return new KeySpec(nameNode.asText().trim(), collections, admin, rate, fields);
    }

    private static List<String> collections(final PersonaConfig config, final JsonNode node, final boolean admin) {
        final String declared = String.join(", ", config.collections().stream().map(CollectionConfig::name).toList());
        if (node == null || node.isNull()) {
            if (admin) {
                return List.of(ApiKey.ALL_COLLECTIONS);
            }
            throw ApiException.badRequest("invalid_scope", "\"collections\" is required: a list of the collections the key may read ("
                    + declared + "), or [\"*\"] for every collection");
        }
        if (node.isTextual() && node.asText().equals(ApiKey.ALL_COLLECTIONS)) {
            return List.of(ApiKey.ALL_COLLECTIONS);
        }
        if (!node.isArray() || node.isEmpty()) {
            throw ApiException.badRequest("invalid_scope", "\"collections\" must be a non-empty list of collection names (" + declared
                    + "), or [\"*\"] for every collection; found " + node);
        }
        final Set<String> names = new LinkedHashSet<>();
        for (final JsonNode c : node) {
            if (!c.isTextual()) {
                throw ApiException.badRequest("invalid_scope", "every entry of \"collections\" is a collection name; found " + c);
            }
            final String name = c.asText();
            if (!name.equals(ApiKey.ALL_COLLECTIONS) && config.collection(name).isEmpty()) {
                throw ApiException.badRequest("unknown_collection", "no collection '" + name + "'; collections: " + declared);
            }
            names.add(name);
        }
        if (names.contains(ApiKey.ALL_COLLECTIONS) && names.size() > 1) {
            throw ApiException.badRequest("invalid_scope", "\"*\" already means every collection: give it alone, or list collections");
        }
        return List.copyOf(names);
    }

    private static RateLimit rate(final JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        try {
            return RateLimit.parse(node.isTextual() ? node.asText() : node.toString());
        } catch (final IllegalArgumentException e) {
            throw ApiException.badRequest("invalid_rate", "\"rate\": " + e.getMessage());
        }
    }

    /** The allow-list: fields that some sync of the key's collections writes (or their primary index). */
    private static List<String> fields(final PersonaConfig config, final JsonNode node, final List<String> collections) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray() || node.isEmpty()) {
            throw ApiException.badRequest("invalid_fields", "\"fields\" must be a non-empty list of field names, or absent for every field");
        }
        final Set<String> known = new LinkedHashSet<>();
        for (final CollectionConfig collection : config.collections()) {
            if (collections.contains(ApiKey.ALL_COLLECTIONS) || collections.contains(collection.name())) {
                known.add(collection.primaryIndex());
                config.syncs().stream().filter(s -> s.collection().equals(collection.name())).map(SyncConfig::ownedFields).forEach(known::addAll);
            }
        }
        final List<String> fields = new ArrayList<>();
        for (final JsonNode f : node) {
            if (!f.isTextual() || f.asText().isBlank()) {
                throw ApiException.badRequest("invalid_fields", "every entry of \"fields\" is a field name; found " + f);
            }
            if (!known.contains(f.asText())) {
                throw ApiException.badRequest("unknown_field", "no sync of the key's collections writes a field '" + f.asText()
                        + "'; fields: " + String.join(", ", known));
            }
            fields.add(f.asText());
        }
        return List.copyOf(new LinkedHashSet<>(fields));
    }
}
