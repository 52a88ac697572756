package dev.persona.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.persona.config.CollectionConfig;
import dev.persona.config.PersonaConfig;
import dev.persona.routing.Lookup;
import dev.persona.routing.RecordLookup;
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
    private final RecordLookup lookup;
    private final Authenticator auth;
    private final Clock clock;

    RecordRoutes(final PersonaConfig config, final RecordLookup lookup, final Authenticator auth, final Clock clock) {
        this.config = config;
        this.lookup = lookup;
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
        Requests.requirePrimaryIndex(collection, ctx.pathParam("index"));
        final RecordView.Shape shape = Requests.shape(ctx);
        final String key = ctx.pathParam("value");
        final byte[] stored = present(lookup.get(collection.name(), key, ctx.header("Authorization"), Requests.forwarded(ctx)), collection, key);
        if (!shape.meta()) {
            final String etag = RecordView.etag(stored, shape);
            ctx.header("ETag", etag);
            if (etag.equals(ctx.header("If-None-Match"))) {
                ctx.status(304);
                return;
            }
        }
        ctx.contentType("application/json");
        ctx.result(RecordView.render(stored, shape, clock.millis()));
    }

    private void getBatch(final Context ctx) {
        final CollectionConfig collection = Requests.collection(config, ctx.pathParam("collection"));
        auth.requireReader(ctx, collection.name());
        final RecordView.Shape shape = Requests.shape(ctx);
        final List<String> ids = Requests.ids(Requests.body(ctx), BATCH_LIMIT);
        final Map<String, Lookup> results = lookup.getAll(collection.name(), ids, ctx.header("Authorization"), Requests.forwarded(ctx));
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
                    out.write(MAPPER.writeValueAsBytes(result.getKey()));
                    out.write(':');
                    out.write(RecordView.render(found.stored(), shape, now));
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
    static byte[] present(final Lookup lookup, final CollectionConfig collection, final String key) {
        if (lookup instanceof Lookup.Unavailable unavailable) {
            throw ApiException.unavailable("record '" + key + "' of '" + collection.name() + "' cannot be read right now: " + unavailable.reason());
        }
        if (lookup instanceof Lookup.Found found && StoredRecord.isPresent(found.stored())) {
            return found.stored();
        }
        throw ApiException.notFound("record_not_found", "no record with " + collection.primaryIndex() + " '" + key + "' in '" + collection.name() + "'");
    }
}
