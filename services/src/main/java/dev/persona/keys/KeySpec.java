package dev.persona.keys;

import dev.persona.config.RateLimit;

import java.util.List;

/**
 * What a new API key may do, as asked for by {@code POST /admin/keys} or {@code persona keys create}.
 *
 * @param name        what the key is for
 * @param collections the collections it may read, or {@link ApiKey#ALL_COLLECTIONS} alone
 * @param admin       whether it may use {@code /admin}
 * @param rate        its own rate limit, or null for the instance's default
 * @param fields      the only fields it may see, or empty for all
 */
public record KeySpec(String name, List<String> collections, boolean admin, RateLimit rate, List<String> fields) {
    public KeySpec {
        collections = List.copyOf(collections);
        fields = fields == null ? List.of() : List.copyOf(fields);
    }

    /** An admin key (it reads every collection), with no limit of its own. */
    public static KeySpec admin(final String name) {
        return new KeySpec(name, List.of(ApiKey.ALL_COLLECTIONS), true, null, List.of());
    }

    /** A key that reads the given collections. */
    public static KeySpec reader(final String name, final List<String> collections) {
        return new KeySpec(name, collections, false, null, List.of());
    }

    public KeySpec withRate(final RateLimit limit) {
        return new KeySpec(name, collections, admin, limit, fields);
    }

    public KeySpec withFields(final List<String> allowed) {
        return new KeySpec(name, collections, admin, rate, allowed);
    }
}
