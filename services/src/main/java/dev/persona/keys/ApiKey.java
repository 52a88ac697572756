package dev.persona.keys;

import com.fasterxml.jackson.annotation.JsonIgnore;

import java.util.List;

/**
 * An API key as Persona stores it: never the secret, only its SHA-256.
 *
 * @param id          non-secret identifier, shown in listings and used to revoke
 * @param name        what the key is for
 * @param sha256      hex SHA-256 of the secret
 * @param collections collections it may read; empty means all
 * @param admin       whether it may use {@code /admin}
 * @param createdAt   epoch milliseconds
 * @param revokedAt   epoch milliseconds, or null while the key is valid
 */
public record ApiKey(String id, String name, String sha256, List<String> collections, boolean admin, long createdAt, Long revokedAt) {
    public ApiKey {
        collections = List.copyOf(collections);
    }

    /** Whether the key is still accepted. */
    @JsonIgnore
    public boolean isActive() {
        return revokedAt == null;
    }

    /** Whether the key may read a collection. */
    public boolean canRead(final String collection) {
        return admin || collections.isEmpty() || collections.contains(collection);
    }

    /** The same key, revoked at the given time. */
    public ApiKey revokedAt(final long time) {
        return new ApiKey(id, name, sha256, collections, admin, createdAt, time);
    }
}
