package dev.persona.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.changes.ChangeEvent;
import dev.persona.changes.ChangeFeeds;
import dev.persona.changes.Subscription;
import dev.persona.config.CollectionConfig;
import dev.persona.keys.ApiKey;
import dev.persona.keys.ApiKeyStore;
import dev.persona.routing.IndexRef;
import dev.persona.routing.RecordFinder;
import dev.persona.routing.StoredValue;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.io.IOException;
import java.time.Clock;
import java.util.function.Supplier;

/**
 * Change subscriptions: {@code GET .../records/{index}/{value}/changes} streams Server-Sent Events of one record, on
 * any instance, with the key scope, field allow-list and rate limit of a lookup (the connection takes one request
 * of the rate). A lookup by a secondary index picks the record that holds the value now; the stream then follows
 * that record. Errors (401, 403, 404, 429, 503) are answered before the stream starts, as JSON like any other.
 */
final class ChangeRoutes {
    static final String PATH = "/v1/collections/{collection}/records/{index}/{value}/changes";

    private final RecordFinder finder;
    private final Authenticator auth;
    private final ChangeFeeds feeds;
    private final ApiKeyStore keys;
    private final Clock clock;

    ChangeRoutes(final RecordFinder finder, final Authenticator auth, final ChangeFeeds feeds, final ApiKeyStore keys, final Clock clock) {
        this.finder = finder;
        this.auth = auth;
        this.feeds = feeds;
        this.keys = keys;
        this.clock = clock;
    }

    void register(final RoutesConfig routes) {
        routes.get(PATH, this::subscribe);
    }

    private void subscribe(final Context ctx) throws IOException {
        final Authenticator.Reader reader = auth.requireReader(ctx, ctx.pathParam("collection"));
        final CollectionConfig collection = reader.collection();
        final ApiKey key = reader.key();
        final IndexRef index = Requests.index(collection, ctx.pathParam("index"));
        final RecordView.Shape shape = Requests.shape(ctx, key);
        final String value = ctx.pathParam("value");
        final String id;
        if (index instanceof IndexRef.Primary) {
            id = value;
        } else {
            final StoredValue.Found found = RecordRoutes.present(finder.find(Requests.query(ctx, key, collection, index, value)),
                    collection, index, value);
            final JsonNode primary = RecordView.parse(found.stored()).get(collection.primaryIndex());
            if (primary == null || primary.isNull()) {
                throw ApiException.unavailable("the record with " + index.name() + " '" + value + "' carries no " + collection.primaryIndex());
            }
            id = primary.asText();
        }
        final IndexRef byId = new IndexRef.Primary(collection.primaryIndex());
        final Supplier<byte[]> current = () -> {
            final StoredValue answer = finder.find(Requests.query(ctx, key, collection, byId, id));
            return answer instanceof StoredValue.Absent ? null : RecordRoutes.present(answer, collection, byId, id).stored();
        };
        ctx.status(200);
        ctx.contentType("text/event-stream; charset=utf-8");
        ctx.header("Cache-Control", "no-cache");
        // Proxies that buffer (nginx) would hold events back: https://serverfault.com/a/801629
        ctx.header("X-Accel-Buffering", "no");
        final java.io.OutputStream out = ctx.res().getOutputStream();
        // Opened off the request thread (a resume may replay the changelog); then the request stays open, holding no
        // thread, until the stream ends.
        ctx.future(() -> feeds.subscribeAsync(collection, id, feeds.position(ctx.header("Last-Event-ID")), current, out,
                stored -> RecordView.render(stored, shape, clock.millis()), () -> keys.isActive(key), key.id())
                .thenCompose(Subscription::ended));
    }
}
