package dev.persona.api;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.persona.config.CollectionConfig;
import dev.persona.config.PersonaConfig;
import dev.persona.routing.Caller;
import dev.persona.routing.IndexRef;
import dev.persona.routing.RecordFinder;
import dev.persona.routing.StoredValue;
import dev.persona.routing.UnavailableReason;
import dev.persona.routing.RecordQuery;
import dev.persona.topology.Json;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The Hightouch dialect: one record by index value, and batches. */
final class RecordRoutes {
    static final int BATCH_LIMIT = 1_000;
    private static final ObjectMapper MAPPER = Json.mapper();

    private final PersonaConfig config;
    private final RecordFinder finder;
    private final Authenticator auth;
    private final Clock clock;

    RecordRoutes(final PersonaConfig config, final RecordFinder finder, final Authenticator auth, final Clock clock) {
        this.config = config;
        this.finder = finder;
        this.auth = auth;
        this.clock = clock;
    }

    void register(final RoutesConfig routes) {
        routes.get("/v1/collections/{collection}/records/{index}/{value}", this::getOne);
        routes.post("/v1/collections/{collection}/records/batch", this::getBatch);
    }

    private void getOne(final Context ctx) {
        final Authenticator.Reader reader = auth.requireReader(ctx, ctx.pathParam("collection"));
        final CollectionConfig collection = reader.collection();
        final IndexRef index = Requests.index(collection, ctx.pathParam("index"));
        final RecordView.Shape shape = Requests.shape(ctx, reader.key());
        final String value = ctx.pathParam("value");
        final RecordQuery query = Requests.query(ctx, reader.key(), collection, index, value);
        final StoredValue known = ctx.attribute(FastLookupHandler.KNOWN_ANSWER);
        final StoredValue.Found found = present(known != null ? known : finder.find(query), collection, index, value);
        final byte[] stored = found.stored();
        markStale(ctx, found);
        if (!found.stale()) {
            finder.owner(query).ifPresent(owner -> ctx.header(FastLookupHandler.OWNER, owner));
        }
        if (!shape.meta()) {
            final ConditionalGet conditional = ConditionalGet.of(stored, shape, ctx.header("If-None-Match"));
            ctx.header("ETag", conditional.etag());
            if (conditional.notModified()) {
                ctx.status(304);
                return;
            }
        }
        ctx.contentType("application/json");
        ctx.result(RecordView.render(stored, shape, clock.millis(), conflicts(collection, stored, shape, Requests.caller(reader.key())), found));
    }

    /** A record read from a standby copy says so: {@code X-Persona-Stale: true} and its offset lag. */
    static void markStale(final Context ctx, final StoredValue.Found found) {
        if (found.stale()) {
            ctx.header("X-Persona-Stale", "true");
            ctx.header("X-Persona-Lag", Long.toString(found.lag()));
        }
    }

    /** Index values of the record that other records claim too; looked up only for {@code ?meta=true}. */
    private Map<String, Object> conflicts(final CollectionConfig collection, final byte[] stored, final RecordView.Shape shape,
                                          final Caller caller) {
        if (!shape.meta() || collection.secondaryIndices().isEmpty()) {
            return Map.of();
        }
        return finder.conflicts(collection, RecordView.parse(stored), caller);
    }

    private void getBatch(final Context ctx) {
        final Authenticator.Reader reader = auth.requireReader(ctx, ctx.pathParam("collection"));
        final CollectionConfig collection = reader.collection();
        final RecordView.Shape shape = Requests.shape(ctx, reader.key());
        final JsonNode body = Requests.body(ctx);
        final List<String> ids = Requests.ids(body, BATCH_LIMIT);
        auth.admitBatch(ctx, reader.key(), ids.size());
        final IndexRef index = Requests.index(collection, body.path("index").asText("id"));
        final Caller caller = Requests.caller(reader.key());
        final Map<String, StoredValue> results = finder.findAll(Requests.query(ctx, reader.key(), collection, index, null), ids);
        final List<String> missing = new ArrayList<>();
        final List<String> unavailable = new ArrayList<>();
        final ByteArrayOutputStream out = new ByteArrayOutputStream(256 + ids.size() * 512);
        final long now = clock.millis();
        try {
            out.write("{\"records\":{".getBytes(StandardCharsets.UTF_8));
            boolean first = true;
            for (final Map.Entry<String, StoredValue> result : results.entrySet()) {
                if (result.getValue() instanceof StoredValue.Found found) {
                    if (!first) {
                        out.write(',');
                    }
                    first = false;
                    markStale(ctx, found);
                    out.write('"');
                    out.write(JsonStringEncoder.getInstance().quoteAsUTF8(result.getKey()));
                    out.write('"');
                    out.write(':');
                    out.write(RecordView.render(found.stored(), shape, now, conflicts(collection, found.stored(), shape, caller), found));
                } else if (!(result.getValue() instanceof StoredValue.Absent)) {
                    unavailable.add(result.getKey());
                } else {
                    missing.add(result.getKey());
                }
            }
            out.write("},\"missing\":".getBytes(StandardCharsets.UTF_8));
            out.write(MAPPER.writeValueAsBytes(missing));
            if (!unavailable.isEmpty()) {
                out.write(",\"unavailable\":".getBytes(StandardCharsets.UTF_8));
                out.write(MAPPER.writeValueAsBytes(unavailable));
                ctx.header("Retry-After", "1");
            }
            out.write('}');
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        ctx.contentType("application/json");
        ctx.result(out.toByteArray());
    }

    /** The record of a finder's answer, or the error that says why there is none: 404 only when it is absent, else 503. */
    static StoredValue.Found present(final StoredValue answer, final CollectionConfig collection, final IndexRef index, final String value) {
        if (answer instanceof StoredValue.Found found) {
            return found;
        }
        if (answer instanceof StoredValue.Absent) {
            throw ApiException.notFound("record_not_found", "no record with " + index.name() + " '" + value + "' in '" + collection.name() + "'");
        }
        throw ApiException.unavailable("the record with " + index.name() + " '" + value + "' in '" + collection.name()
                + "' cannot be read right now: " + whyUnavailable(answer));
    }

    /** Why an answer that is neither found nor absent cannot be given now, in a client's words. */
    static String whyUnavailable(final StoredValue answer) {
        return (answer instanceof StoredValue.Unavailable unavailable ? unavailable.reason() : UnavailableReason.REBALANCING).explanation();
    }
}
