package dev.persona.config;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A collection of records, like a table.
 *
 * @param name             alphanumeric; part of the URL and of topic and store names
 * @param primaryIndex     the field every record carries, set to its key
 * @param secondaryIndices other fields records can be looked up by
 * @param partitions       partitions of every topic keyed by this collection's primary key
 * @param caseInsensitive  the secondary indices whose values match regardless of case
 */
public record CollectionConfig(String name, String primaryIndex, List<String> secondaryIndices, int partitions,
                               Set<String> caseInsensitive) {
    public CollectionConfig {
        secondaryIndices = List.copyOf(secondaryIndices);
        caseInsensitive = Set.copyOf(caseInsensitive);
    }

    /** A collection whose secondary indices all match exactly. */
    public CollectionConfig(final String name, final String primaryIndex, final List<String> secondaryIndices, final int partitions) {
        this(name, primaryIndex, secondaryIndices, partitions, Set.of());
    }

    /** The value an index stores and looks up for a field value: itself, or lower-cased for a case-insensitive index. */
    public String indexValue(final String index, final String value) {
        return caseInsensitive.contains(index) ? value.toLowerCase(Locale.ROOT) : value;
    }
}
