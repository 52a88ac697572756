package dev.persona.api;

import dev.persona.config.CollectionConfig;
import dev.persona.config.PersonaConfig;
import dev.persona.routing.Lookup;
import dev.persona.routing.PeerClient;
import dev.persona.routing.RecordLookup;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What instances ask each other: stored values of keys they own, as bytes, so that the instance the client
 * called renders the answer. Never forwarded again; guarded by the client's own API key.
 */
final class InternalRoutes {
    private final PersonaConfig config;
    private final RecordLookup lookup;
    private final Authenticator auth;

    InternalRoutes(final PersonaConfig config, final RecordLookup lookup, final Authenticator auth) {
        this.config = config;
        this.lookup = lookup;
        this.auth = auth;
    }

    void register(final RoutesConfig routes) {
        routes.get(PeerClient.RAW_RECORD_PATH.formatted("{collection}", "{key}"), this::stored);
        routes.post(PeerClient.RAW_BATCH_PATH.formatted("{collection}"), this::storedBatch);
    }

    private void stored(final Context ctx) {
        final CollectionConfig collection = Requests.collection(config, ctx.pathParam("collection"));
        auth.requireReader(ctx, collection.name());
        final Lookup result = lookup.get(collection.name(), ctx.pathParam("key"), null, true);
        if (result instanceof Lookup.Found found) {
            ctx.contentType("application/octet-stream");
            ctx.result(found.stored());
        } else if (result instanceof Lookup.Unavailable unavailable) {
            throw ApiException.unavailable(unavailable.reason());
        } else {
            ctx.status(404);
        }
    }

    private void storedBatch(final Context ctx) {
        final CollectionConfig collection = Requests.collection(config, ctx.pathParam("collection"));
        auth.requireReader(ctx, collection.name());
        final List<String> ids = Requests.ids(Requests.body(ctx), RecordRoutes.BATCH_LIMIT);
        final Map<String, byte[]> found = new LinkedHashMap<>();
        final List<String> missing = new ArrayList<>();
        final List<String> unavailable = new ArrayList<>();
        lookup.getAll(collection.name(), ids, null, true).forEach((key, result) -> {
            if (result instanceof Lookup.Found f) {
                found.put(key, f.stored());
            } else if (result instanceof Lookup.Unavailable) {
                unavailable.add(key);
            } else {
                missing.add(key);
            }
        });
        ctx.json(new PeerClient.PeerBatch(found, missing, unavailable));
    }
}
