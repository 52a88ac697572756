package dev.persona.api;

import dev.persona.keys.ApiKey;
import dev.persona.keys.ApiKeyStore;
import io.javalin.http.Context;

import java.util.Optional;

/** Resolves {@code Authorization: Bearer <key>} to a key. Never logs what it is given. */
final class Authenticator {
    private static final String PREFIX = "Bearer ";

    private final ApiKeyStore keys;

    Authenticator(final ApiKeyStore keys) {
        this.keys = keys;
    }

    /** The key of the request, if it carries a valid one. */
    Optional<ApiKey> keyOf(final Context ctx) {
        return keyOf(ctx.header("Authorization"));
    }

    /** The key an {@code Authorization} header carries, if it is a valid one. */
    Optional<ApiKey> keyOf(final String header) {
        if (header == null || !header.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            return Optional.empty();
        }
        final String secret = header.substring(PREFIX.length()).trim();
        return secret.isEmpty() ? Optional.empty() : keys.authenticate(secret);
    }

    /**
     * The key of the request, which must be allowed to read {@code collection}.
     *
     * @throws ApiException 401 without a valid key, 403 when the key is scoped to other collections
     */
    ApiKey requireReader(final Context ctx, final String collection) {
        final ApiKey key = requireKey(ctx);
        if (!key.canRead(collection)) {
            throw ApiException.forbidden("this API key may not read collection '" + collection + "'");
        }
        return key;
    }

    /**
     * The key of the request, which must be an admin key.
     *
     * @throws ApiException 401 without a valid key, 403 for a non-admin key
     */
    ApiKey requireAdmin(final Context ctx) {
        final ApiKey key = requireKey(ctx);
        if (!key.admin()) {
            throw ApiException.forbidden("this endpoint needs an admin API key");
        }
        return key;
    }

    private ApiKey requireKey(final Context ctx) {
        return keyOf(ctx).orElseThrow(() -> ApiException.unauthorized(
                ctx.header("Authorization") == null
                        ? "missing API key: send 'Authorization: Bearer <key>'"
                        : "unknown or revoked API key"));
    }
}
