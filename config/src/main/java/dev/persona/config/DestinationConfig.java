package dev.persona.config;

import java.util.List;

/**
 * A RudderStack-dialect destination: the id clients send as {@code destinationId}, and the collections
 * (entities) it serves.
 */
public record DestinationConfig(String id, List<String> collections) {
    public DestinationConfig {
        collections = List.copyOf(collections);
    }
}
