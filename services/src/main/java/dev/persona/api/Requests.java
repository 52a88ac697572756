package dev.persona.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.config.CollectionConfig;
import dev.persona.config.PersonaConfig;
import dev.persona.keys.ApiKey;
import dev.persona.routing.Caller;
import dev.persona.routing.Hop;
import dev.persona.routing.IndexRef;
import dev.persona.routing.RecordQuery;
import dev.persona.topology.Json;
import io.javalin.http.Context;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/** Reading and checking what a request carries: names, bodies, query options. */
final class Requests {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]+");

    private Requests() {
    }

    /**
     * The declared collection a path names, if it names one.
     *
     * @throws ApiException 400 for a name that cannot be a collection's
     */
    static Optional<CollectionConfig> namedCollection(final PersonaConfig config, final String name) {
        if (!NAME.matcher(name).matches()) {
            throw ApiException.badRequest("invalid_collection", "collection name '" + name + "' is not alphanumeric");
        }
        return config.collection(name);
    }

    /**
     * The index a Hightouch-dialect path names: {@code id} or the primary index's name, or a declared secondary index.
     *
     * @throws ApiException 400 naming the declared indices, for any other name
     */
    static IndexRef index(final CollectionConfig collection, final String name) {
        return indexOrEmpty(collection, name).orElseThrow(() -> {
            final List<String> declared = new ArrayList<>(List.of("id"));
            declared.addAll(IndexRef.declared(collection));
            return ApiException.badRequest("unknown_index", "index '" + name + "' is not declared for collection '" + collection.name()
                    + "'; use one of: " + String.join(", ", declared));
        });
    }

    /** {@link #index}, or empty for a name the collection does not declare. */
    static Optional<IndexRef> indexOrEmpty(final CollectionConfig collection, final String name) {
        return name.equals("id") ? Optional.of(new IndexRef.Primary(collection.primaryIndex())) : IndexRef.of(collection, name);
    }

    /** Whether every {@code %} of a raw path starts an escape of two hex digits. */
    static boolean hasValidEscapes(final String rawPath) {
        if (rawPath == null) {
            return true;
        }
        for (int i = rawPath.indexOf('%'); i >= 0; i = rawPath.indexOf('%', i + 1)) {
            if (i + 2 >= rawPath.length() || Character.digit(rawPath.charAt(i + 1), 16) < 0 || Character.digit(rawPath.charAt(i + 2), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    /** The request body as JSON. */
    static JsonNode body(final Context ctx) {
        final byte[] body = ctx.bodyAsBytes();
        if (body.length == 0) {
            throw ApiException.badRequest("invalid_body", "the request body is empty; send a JSON object");
        }
        try {
            final JsonNode node = Json.mapper().readTree(body);
            if (node == null || !node.isObject()) {
                throw ApiException.badRequest("invalid_body", "the request body must be a JSON object");
            }
            return node;
        } catch (final JsonProcessingException e) {
            throw ApiException.badRequest("malformed_json", "the request body is not valid JSON: " + e.getOriginalMessage());
        } catch (final IOException e) {
            throw ApiException.badRequest("invalid_body", "the request body cannot be read");
        }
    }

    /**
     * The {@code fields} and {@code meta} query options, narrowed to the key's field allow-list: a key with one sees
     * only those fields whatever it asks, and {@code ?fields=} can narrow them further.
     */
    static RecordView.Shape shape(final Context ctx, final ApiKey key) {
        return allowed(shape(ctx), key);
    }

    /** The record as {@code key} may see it when it asks for no shape: its fields under the key's allow-list. */
    static RecordView.Shape shape(final ApiKey key) {
        return allowed(RecordView.Shape.PLAIN, key);
    }

    private static RecordView.Shape allowed(final RecordView.Shape asked, final ApiKey key) {
        return key.hasFieldAllowList() ? asked.allowOnly(key.fields()) : asked;
    }

    /**
     * A body member that is true or false, absent (or null) meaning false. A string or a number is refused rather than
     * guessed at: {@code {"full": "yes"}} must not quietly start an incremental run.
     *
     * @throws ApiException 400 {@code invalid_body} naming the member and what it held
     */
    static boolean bool(final JsonNode body, final String member) {
        final JsonNode node = body.get(member);
        if (node == null || node.isNull()) {
            return false;
        }
        if (!node.isBoolean()) {
            throw ApiException.badRequest("invalid_body", "\"" + member + "\" must be true or false, not " + node);
        }
        return node.booleanValue();
    }

    /** The {@code fields} and {@code meta} query options. */
    static RecordView.Shape shape(final Context ctx) {
        final String fields = ctx.queryParam("fields");
        final String meta = ctx.queryParam("meta");
        if (meta != null && !meta.equals("true") && !meta.equals("false")) {
            throw ApiException.badRequest("invalid_parameter", "meta must be true or false, not '" + meta + "'");
        }
        final List<String> names = new ArrayList<>();
        if (fields != null) {
            Arrays.stream(fields.split(",")).map(String::trim).filter(f -> !f.isEmpty()).forEach(names::add);
            if (names.isEmpty()) {
                throw ApiException.badRequest("invalid_parameter", "fields must list at least one field, as fields=a,b");
            }
        }
        return new RecordView.Shape(List.copyOf(names), "true".equals(meta));
    }

    /**
     * The query a request makes for {@code value} of {@code index}, with its caller. A client's request is always the
     * first hop: only the signed internal routes take a request as forwarded, whatever headers a client sends (a
     * client that sent the forwarding header used to get a 503 naming the owner's host and port).
     */
    static RecordQuery query(final Context ctx, final ApiKey key, final CollectionConfig collection, final IndexRef index, final String value) {
        // After the fast path's forward to the owner failed, only the standbys are left to ask.
        return RecordQuery.byIndex(collection, index, value).withCaller(caller(key))
                .withHop(ctx.attribute(FastLookupHandler.OWNER_FAILED) != null ? Hop.FIRST_OWNER_FAILED : Hop.FIRST);
    }

    /** What peers are told of a key: its id and scope. */
    static Caller caller(final ApiKey key) {
        return new Caller(key.id(), key.admin() ? List.of(ApiKey.ALL_COLLECTIONS) : key.collections());
    }

    /** The ids of a batch body, at most {@code limit}. */
    static List<String> ids(final JsonNode body, final int limit) {
        final JsonNode ids = body.get("ids");
        if (ids == null || !ids.isArray()) {
            throw ApiException.badRequest("invalid_body", "the body needs \"ids\": an array of record ids");
        }
        if (ids.size() > limit) {
            throw ApiException.badRequest("too_many_ids", "a batch takes at most " + limit + " ids; this one has " + ids.size());
        }
        final List<String> keys = new ArrayList<>(ids.size());
        for (final JsonNode id : ids) {
            if (!id.isValueNode() || id.isNull()) {
                throw ApiException.badRequest("invalid_body", "every id must be a string or a number");
            }
            keys.add(id.asText());
        }
        return keys;
    }
}
