package dev.persona.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.config.CollectionConfig;
import dev.persona.config.PersonaConfig;
import dev.persona.keys.ApiKey;
import dev.persona.purge.RecordPurger;
import dev.persona.routing.IndexRef;
import dev.persona.routing.RecordFinder;
import dev.persona.routing.RecordQuery;
import dev.persona.routing.StoredValue;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

/**
 * {@code POST /admin/collections/{c}/purge} with {@code {"index", "value"}}: removes the person everywhere Persona
 * keeps them ({@link RecordPurger}) and answers with the audit entry. A secondary index names the record that holds
 * the value now (404 when none does); the primary index names a key whether or not a record exists, so that a purge
 * can be repeated, or made for a record only dead letters hold. Admin keys only.
 */
final class PurgeRoutes {
    private final PersonaConfig config;
    private final RecordFinder finder;
    private final Authenticator auth;
    private final RecordPurger purger;

    PurgeRoutes(final PersonaConfig config, final RecordFinder finder, final Authenticator auth, final RecordPurger purger) {
        this.config = config;
        this.finder = finder;
        this.auth = auth;
        this.purger = purger;
    }

    void register(final RoutesConfig routes) {
        routes.post("/admin/collections/{collection}/purge", this::purge);
    }

    private void purge(final Context ctx) {
        final ApiKey admin = auth.requireAdmin(ctx);
        final String name = ctx.pathParam("collection");
        final CollectionConfig collection = Requests.namedCollection(config, name)
                .orElseThrow(() -> ApiException.notFound("collection_not_found", "no collection '" + name + "'"));
        final JsonNode body = Requests.body(ctx);
        final IndexRef index = Requests.index(collection, body.path("index").asText("id"));
        final JsonNode value = body.get("value");
        if (value == null || !(value.isTextual() || value.isNumber()) || value.asText().isEmpty()) {
            throw ApiException.badRequest("invalid_body", "the body needs \"value\": the index value of the record to purge, "
                    + "as {\"index\": \"email\", \"value\": \"jane@example.com\"}");
        }
        final String key;
        if (index instanceof IndexRef.Primary) {
            key = value.asText();
        } else {
            final StoredValue.Found found = RecordRoutes.present(finder.find(RecordQuery.byIndex(collection, index, value.asText())
                    .withCaller(Requests.caller(admin))), collection, index, value.asText());
            key = RecordView.parse(found.stored()).path(collection.primaryIndex()).asText();
        }
        ctx.json(purger.purge(collection, key, new RecordPurger.Request(admin.id(), admin.name(), index.name(), value.asText())));
    }
}
