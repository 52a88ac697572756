package dev.persona.api;

import dev.persona.routing.Caller;
import dev.persona.routing.DeclaredStores;
import dev.persona.routing.StoredValue;
import dev.persona.routing.PeerClient;
import dev.persona.routing.Hop;
import dev.persona.routing.StoredValues;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What instances ask each other: stored values of keys they own, as bytes, so that the instance the client
 * called renders the answer. Never forwarded again; only for calls signed with the cluster secret, for the caller
 * (key id and scope) they name.
 */
final class InternalRoutes {
    private final DeclaredStores stores;
    private final StoredValues lookup;
    private final Authenticator auth;

    InternalRoutes(final DeclaredStores stores, final StoredValues lookup, final Authenticator auth) {
        this.stores = stores;
        this.lookup = lookup;
        this.auth = auth;
    }

    void register(final RoutesConfig routes) {
        routes.post(PeerClient.RAW_BATCH_PATH.formatted("{store}"), this::storedBatch);
    }

    private void storedBatch(final Context ctx) {
        final String store = readableStore(ctx);
        final com.fasterxml.jackson.databind.JsonNode body = Requests.body(ctx);
        final List<String> ids = Requests.ids(body, RecordRoutes.BATCH_LIMIT);
        final Map<String, byte[]> found = new LinkedHashMap<>();
        final Map<String, Long> stale = new LinkedHashMap<>();
        final List<String> missing = new ArrayList<>();
        final List<String> unavailable = new ArrayList<>();
        lookup.getAll(store, ids, Caller.INSTANCE, body.path("standby").asBoolean(false) ? Hop.FORWARDED_TO_STANDBY : Hop.FORWARDED).forEach((key, result) -> {
            if (result instanceof StoredValue.Found f) {
                found.put(key, f.stored());
                if (f.stale()) {
                    stale.put(key, f.lag());
                }
            } else if (result instanceof StoredValue.Unavailable) {
                unavailable.add(key);
            } else {
                missing.add(key);
            }
        });
        auth.answerPeer(ctx, new PeerClient.PeerBatch(found, missing, unavailable, stale));
    }

    /** A store the configuration declares, of a collection the caller's key may read. */
    private String readableStore(final Context ctx) {
        final String store = ctx.pathParam("store");
        final Caller caller = auth.requirePeer(ctx);
        final String collection = stores.collectionOf(store)
                .orElseThrow(() -> ApiException.notFound("store_not_found", "no store '" + store + "'"));
        if (!caller.canRead(collection)) {
            throw ApiException.forbidden("key " + caller.keyId() + " may not read collection '" + collection + "'");
        }
        return store;
    }
}
