package dev.persona.keys;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.persona.config.RateLimit;

import java.util.List;

/**
 * An API key as Persona stores it: never the secret, only its SHA-256.
 *
 * @param id          non-secret identifier, shown in listings and used to revoke
 * @param name        what the key is for
 * @param sha256      hex SHA-256 of the secret
 * @param collections collections it may read, or {@link #ALL_COLLECTIONS} alone for every collection; an empty
 *                    list reads nothing (scope fails closed)
 * @param admin       whether it may use {@code /admin} (and read every collection)
 * @param createdAt   epoch milliseconds
 * @param revokedAt   epoch milliseconds, or null while the key is valid
 * @param rate        its own rate limit, or null for the instance's default
 * @param fields      the only fields it may see, or empty for every field
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApiKey(String id, String name, String sha256, List<String> collections, boolean admin, long createdAt, Long revokedAt,
                     RateLimit rate, List<String> fields) {
    /** The scope of a key that may read every collection, said explicitly. */
    public static final String ALL_COLLECTIONS = "*";

    public ApiKey {
        collections = collections == null ? List.of() : List.copyOf(collections);
        fields = fields == null ? List.of() : List.copyOf(fields);
    }

    /** Whether the key is still accepted. */
    @JsonIgnore
    public boolean isActive() {
        return revokedAt == null;
    }

    /** Whether the key may read a collection. */
    public boolean canRead(final String collection) {
        return admin || collections.contains(ALL_COLLECTIONS) || collections.contains(collection);
    }

    /** Whether the key sees only some fields of a record. */
    @JsonIgnore
    public boolean hasFieldAllowList() {
        return !fields.isEmpty();
    }

    /** The same key, revoked at the given time. */
    public ApiKey revokedAt(final long time) {
        return new ApiKey(id, name, sha256, collections, admin, createdAt, time, rate, fields);
    }
}
