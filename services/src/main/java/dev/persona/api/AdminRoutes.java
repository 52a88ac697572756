package dev.persona.api;

import dev.persona.config.PersonaConfig;
import dev.persona.keys.ApiKey;
import dev.persona.keys.ApiKeyStore;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code /admin/keys}: create, list and revoke API keys (admin keys only). */
final class AdminRoutes {
    private final PersonaConfig config;
    private final ApiKeyStore keys;
    private final Authenticator auth;

    AdminRoutes(final PersonaConfig config, final ApiKeyStore keys, final Authenticator auth) {
        this.config = config;
        this.keys = keys;
        this.auth = auth;
    }

    void register(final RoutesConfig routes) {
        routes.post("/admin/keys", this::create);
        routes.get("/admin/keys", this::list);
        routes.delete("/admin/keys/{id}", this::revoke);
    }

    private void create(final Context ctx) {
        auth.requireAdmin(ctx);
        final ApiKeyStore.CreatedKey created = keys.create(KeyRequests.spec(config, Requests.body(ctx)));
        final Map<String, Object> answer = view(created.key());
        answer.put("key", created.secret());
        ctx.status(201).json(answer);
    }

    private void list(final Context ctx) {
        auth.requireAdmin(ctx);
        ctx.json(Map.of("keys", keys.list().stream().map(AdminRoutes::view).toList()));
    }

    private void revoke(final Context ctx) {
        auth.requireAdmin(ctx);
        final String id = ctx.pathParam("id");
        if (!keys.revoke(id)) {
            throw ApiException.notFound("key_not_found", "no API key with id '" + id + "'");
        }
        ctx.status(204);
    }

    private static Map<String, Object> view(final ApiKey key) {
        final Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", key.id());
        view.put("name", key.name());
        view.put("collections", key.collections());
        view.put("admin", key.admin());
        view.put("rate", key.rate() == null ? null : key.rate().toString());
        view.put("fields", key.fields().isEmpty() ? null : key.fields());
        view.put("createdAt", Instant.ofEpochMilli(key.createdAt()).toString());
        view.put("revokedAt", key.revokedAt() == null ? null : Instant.ofEpochMilli(key.revokedAt()).toString());
        return view;
    }
}
