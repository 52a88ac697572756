package dev.persona.api;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.persona.config.CollectionConfig;
import dev.persona.config.PersonaConfig;
import dev.persona.routing.Lookup;
import dev.persona.routing.RecordFinder;
import dev.persona.topology.Json;
import dev.persona.topology.StoredRecord;
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
        final CollectionConfig collection = Requests.collection(config, ctx.pathParam("collection"));
        auth.requireReader(ctx, collection.name());
        final String index = ctx.pathParam("index");
        final boolean primary = Requests.isPrimary(collection, index);
        final RecordView.Shape shape = Requests.shape(ctx);
        final String value = ctx.pathParam("value");
        final String authorization = ctx.header("Authorization");
        final boolean forwarded = Requests.forwarded(ctx);
        final Lookup.Found found = present(primary ? finder.byKey(collection, value, authorization, forwarded)
                : finder.byIndex(collection, index, value, authorization, forwarded), collection, primary ? collection.primaryIndex() : index, value);
        final byte[] stored = found.stored();
        markStale(ctx, found);
        if (!shape.meta()) {
            final String etag = RecordView.etag(stored, shape);
            ctx.header("ETag", etag);
            if (etag.equals(ctx.header("If-None-Match"))) {
                ctx.status(304);
                return;
            }
        }
        ctx.contentType("application/json");
        ctx.result(RecordView.render(stored, shape, clock.millis(), conflicts(collection, stored, shape, authorization), found));
    }

    /** A record read from a standby copy says so: {@code X-Persona-Stale: true} and its offset lag. */
    static void markStale(final Context ctx, final Lookup.Found found) {
        if (found.stale()) {
            ctx.header("X-Persona-Stale", "true");
            ctx.header("X-Persona-Lag", Long.toString(found.lag()));
        }
    }

    /** Index values of the record that other records claim too; looked up only for {@code ?meta=true}. */
    private Map<String, Object> conflicts(final CollectionConfig collection, final byte[] stored, final RecordView.Shape shape,
                                          final String authorization) {
        if (!shape.meta() || collection.secondaryIndices().isEmpty()) {
            return Map.of();
        }
        return finder.conflicts(collection, RecordView.parse(stored), null, authorization);
    }

    private void getBatch(final Context ctx) {
        final CollectionConfig collection = Requests.collection(config, ctx.pathParam("collection"));
        auth.requireReader(ctx, collection.name());
        final RecordView.Shape shape = Requests.shape(ctx);
        final JsonNode body = Requests.body(ctx);
        final List<String> ids = Requests.ids(body, BATCH_LIMIT);
        final String index = body.path("index").asText("id");
        final String authorization = ctx.header("Authorization");
        final boolean forwarded = Requests.forwarded(ctx);
        final Map<String, Lookup> results = Requests.isPrimary(collection, index)
                ? finder.byKeys(collection, ids, authorization, forwarded)
                : finder.byIndexValues(collection, index, ids, authorization, forwarded);
        final List<String> missing = new ArrayList<>();
        final List<String> unavailable = new ArrayList<>();
        final ByteArrayOutputStream out = new ByteArrayOutputStream(256 + ids.size() * 512);
        final long now = clock.millis();
        try {
            out.write("{\"records\":{".getBytes(StandardCharsets.UTF_8));
            boolean first = true;
            for (final Map.Entry<String, Lookup> result : results.entrySet()) {
                if (result.getValue() instanceof Lookup.Found found && StoredRecord.isPresent(found.stored())) {
                    if (!first) {
                        out.write(',');
                    }
                    first = false;
                    markStale(ctx, found);
                    out.write('"');
                    out.write(JsonStringEncoder.getInstance().quoteAsUTF8(result.getKey()));
                    out.write('"');
                    out.write(':');
                    out.write(RecordView.render(found.stored(), shape, now, conflicts(collection, found.stored(), shape, authorization), found));
                } else if (result.getValue() instanceof Lookup.Unavailable) {
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

    /** The stored value of a present record, or the error that says why there is none. */
    static Lookup.Found present(final Lookup lookup, final CollectionConfig collection, final String index, final String value) {
        if (lookup instanceof Lookup.Unavailable unavailable) {
            throw ApiException.unavailable("the record with " + index + " '" + value + "' in '" + collection.name()
                    + "' cannot be read right now: " + unavailable.reason());
        }
        if (lookup instanceof Lookup.Found found && StoredRecord.isPresent(found.stored())) {
            return found;
        }
        throw ApiException.notFound("record_not_found", "no record with " + index + " '" + value + "' in '" + collection.name() + "'");
    }
}
