package dev.persona.routing;

import java.util.List;

/**
 * Who a lookup is for, as one instance tells another: the verified key's id and scope, never its secret. The
 * instance the client called checked the key; a peer takes this on the strength of the {@link PeerAuth} signature.
 *
 * @param keyId       the id of the caller's key
 * @param collections what the key may read ({@code *} for every collection)
 */
public record Caller(String keyId, List<String> collections) {
    /** The instance itself (the cluster view): no client key. */
    public static final Caller INSTANCE = new Caller("instance", List.of("*"));

    public Caller {
        collections = List.copyOf(collections);
    }

    /** Whether the caller may read a collection. */
    public boolean canRead(final String collection) {
        return collections.contains("*") || collections.contains(collection);
    }
}
