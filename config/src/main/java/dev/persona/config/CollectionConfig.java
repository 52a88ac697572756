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
 * @param maxIndexClaims   how many records one index value remembers claiming it; past that the oldest claim is
 *                         forgotten, so an entry stays far below Kafka's message size whatever the data
 * @param retention        records not updated for this long expire, their index entries with them; empty: kept
 */
public record CollectionConfig(String name, String primaryIndex, List<String> secondaryIndices, int partitions,
                               Set<String> caseInsensitive, int maxIndexClaims, java.util.Optional<java.time.Duration> retention) {
    public static final int DEFAULT_MAX_INDEX_CLAIMS = 100;

    public CollectionConfig {
        secondaryIndices = List.copyOf(secondaryIndices);
        caseInsensitive = Set.copyOf(caseInsensitive);
    }

    /** A collection whose secondary indices all match exactly. */
    public CollectionConfig(final String name, final String primaryIndex, final List<String> secondaryIndices, final int partitions) {
        this(name, primaryIndex, secondaryIndices, partitions, Set.of());
    }

    /** A collection whose records never expire. */
    public CollectionConfig(final String name, final String primaryIndex, final List<String> secondaryIndices, final int partitions,
                            final Set<String> caseInsensitive, final int maxIndexClaims) {
        this(name, primaryIndex, secondaryIndices, partitions, caseInsensitive, maxIndexClaims, java.util.Optional.empty());
    }

    /** A collection whose index values remember {@link #DEFAULT_MAX_INDEX_CLAIMS} claims. */
    public CollectionConfig(final String name, final String primaryIndex, final List<String> secondaryIndices, final int partitions,
                            final Set<String> caseInsensitive) {
        this(name, primaryIndex, secondaryIndices, partitions, caseInsensitive, DEFAULT_MAX_INDEX_CLAIMS);
    }

    /** The value an index stores and looks up for a field value: itself, or lower-cased for a case-insensitive index. */
    public String indexValue(final String index, final String value) {
        return caseInsensitive.contains(index) ? value.toLowerCase(Locale.ROOT) : value;
    }
}
