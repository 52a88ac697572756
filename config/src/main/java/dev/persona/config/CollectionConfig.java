package dev.persona.config;

import java.util.List;

/**
 * A collection of records, like a table.
 *
 * @param name             alphanumeric; part of the URL and of topic and store names
 * @param primaryIndex     the field every record carries, set to its key
 * @param secondaryIndices other fields records can be looked up by
 * @param partitions       partitions of every topic keyed by this collection's primary key
 */
public record CollectionConfig(String name, String primaryIndex, List<String> secondaryIndices, int partitions) {
    public CollectionConfig {
        secondaryIndices = List.copyOf(secondaryIndices);
    }
}
