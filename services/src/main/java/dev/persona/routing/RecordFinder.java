package dev.persona.routing;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.config.CollectionConfig;
import dev.persona.topology.IndexEntry;
import dev.persona.topology.Json;
import dev.persona.topology.StoredRecord;
import dev.persona.topology.TopicNames;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Finds records by primary key or by a secondary index value. An index lookup asks the owner of the value's index
 * entry for its claimants, then the owner of the record (at most two hops), and answers only with a record that
 * still carries the value: a lookup by an old value is a 404 as soon as the record shows the new one. While the
 * index catches up with a change, the next most recent claimant that still carries the value answers.
 */
public final class RecordFinder {
    private final RecordLookup lookup;

    public RecordFinder(final RecordLookup lookup) {
        this.lookup = lookup;
    }

    /** The record with this primary key. */
    public Lookup byKey(final CollectionConfig collection, final String key, final String authorization, final boolean forwarded) {
        return lookup.get(TopicNames.recordStore(collection), key, authorization, forwarded);
    }

    /**
     * The record with this primary key when this instance processes the key's partition, read without waiting on
     * anything (no peer, no rebalance); null otherwise, and then {@link #byKey} finds it.
     */
    public Lookup byKeyHere(final CollectionConfig collection, final String key) {
        return lookup.getHere(TopicNames.recordStore(collection), key);
    }

    /**
     * The record an index value points to, when this instance processes both the index entry's partition and the
     * record's, read without waiting on anything; null otherwise, and then {@link #byIndex} finds it.
     */
    public Lookup byIndexHere(final CollectionConfig collection, final String index, final String value) {
        return byIndex(collection, index, value, lookup::getHere);
    }

    /** Records by primary key. */
    public Map<String, Lookup> byKeys(final CollectionConfig collection, final List<String> keys, final String authorization, final boolean forwarded) {
        return lookup.getAll(TopicNames.recordStore(collection), keys, authorization, forwarded);
    }

    /** The record an index value points to. */
    public Lookup byIndex(final CollectionConfig collection, final String index, final String value, final String authorization,
                          final boolean forwarded) {
        return byIndex(collection, index, value, (store, key) -> lookup.get(store, key, authorization, forwarded));
    }

    /**
     * Reads the index entry, then its claims, most recent first, until a record still carries the value. A read that
     * cannot answer here and now (unavailable, or null from {@link RecordLookup#getHere}) ends the walk with itself.
     */
    private Lookup byIndex(final CollectionConfig collection, final String index, final String value,
                           final BiFunction<String, String, Lookup> read) {
        final String folded = collection.indexValue(index, value);
        final Lookup entry = read.apply(TopicNames.indexStore(collection.name()), IndexEntry.key(index, folded));
        if (!(entry instanceof Lookup.Found found)) {
            return entry;
        }
        for (final String key : byRecency(IndexEntry.claims(found.stored()))) {
            final Lookup record = read.apply(TopicNames.recordStore(collection), key);
            if (record == null || record instanceof Lookup.Unavailable || carries(collection, record, index, folded)) {
                return record;
            }
        }
        return Lookup.ABSENT;
    }

    /** Records by index value, keyed by the values asked for. */
    public Map<String, Lookup> byIndexValues(final CollectionConfig collection, final String index, final List<String> values,
                                             final String authorization, final boolean forwarded) {
        final Map<String, String> entryKeyByValue = new LinkedHashMap<>();
        values.forEach(v -> entryKeyByValue.put(v, IndexEntry.key(index, collection.indexValue(index, v))));
        final Map<String, Lookup> entries = lookup.getAll(TopicNames.indexStore(collection.name()),
                List.copyOf(new java.util.LinkedHashSet<>(entryKeyByValue.values())), authorization, forwarded);
        final Map<String, List<String>> candidates = new LinkedHashMap<>();
        final Map<String, Lookup> results = new LinkedHashMap<>();
        entryKeyByValue.forEach((value, entryKey) -> {
            final Lookup entry = entries.get(entryKey);
            if (entry instanceof Lookup.Found found) {
                candidates.put(value, byRecency(IndexEntry.claims(found.stored())));
            } else {
                results.put(value, entry);
            }
        });
        final List<String> winners = candidates.values().stream().filter(c -> !c.isEmpty()).map(c -> c.get(0)).distinct().toList();
        final Map<String, Lookup> records = byKeys(collection, winners, authorization, forwarded);
        candidates.forEach((value, keys) -> {
            final Lookup winner = keys.isEmpty() ? Lookup.ABSENT : records.get(keys.get(0));
            final String folded = collection.indexValue(index, value);
            if (winner instanceof Lookup.Unavailable || carries(collection, winner, index, folded)) {
                results.put(value, winner);
            } else {
                // The first claimant no longer carries the value (the index is catching up): ask one by one.
                results.put(value, byIndex(collection, index, value, authorization, forwarded));
            }
        });
        return results;
    }

    /**
     * The index values of a record that other records claim too, for {@code _meta}: index -> {value, winner, claimedBy}.
     */
    public Map<String, Object> conflicts(final CollectionConfig collection, final JsonNode record, final String key, final String authorization) {
        final Map<String, Object> conflicts = new LinkedHashMap<>();
        for (final String index : collection.secondaryIndices()) {
            final JsonNode value = record.get(index);
            if (value == null || !value.isValueNode() || value.isNull() || value.asText().isEmpty()) {
                continue;
            }
            final String folded = collection.indexValue(index, value.asText());
            final Lookup entry = lookup.get(TopicNames.indexStore(collection.name()), IndexEntry.key(index, folded), authorization, false);
            if (entry instanceof Lookup.Found found) {
                final Map<String, Long> claims = IndexEntry.claims(found.stored());
                if (claims.size() > 1) {
                    final Map<String, Object> conflict = new LinkedHashMap<>();
                    conflict.put("value", folded);
                    conflict.put("winner", IndexEntry.winner(claims).orElse(null));
                    conflict.put("claimedBy", byRecency(claims));
                    conflicts.put(index, conflict);
                }
            }
        }
        return conflicts;
    }

    private static List<String> byRecency(final Map<String, Long> claims) {
        final List<Map.Entry<String, Long>> entries = new ArrayList<>(claims.entrySet());
        entries.sort(Comparator.<Map.Entry<String, Long>>comparingLong(Map.Entry::getValue).thenComparing(Map.Entry::getKey).reversed());
        return entries.stream().map(Map.Entry::getKey).toList();
    }

    private static boolean carries(final CollectionConfig collection, final Lookup record, final String index, final String folded) {
        if (!(record instanceof Lookup.Found found) || !StoredRecord.isPresent(found.stored())) {
            return false;
        }
        final byte[] stored = found.stored();
        // Scans the top level for the one field, skipping nested values: no tree of the whole record.
        try (JsonParser parser = Json.mapper().getFactory().createParser(stored, StoredRecord.BODY_OFFSET, StoredRecord.bodyLength(stored))) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                final String name = parser.currentName();
                final JsonToken value = parser.nextToken();
                if (name.equals(index)) {
                    if (value == JsonToken.VALUE_STRING) {
                        final String text = parser.getText();
                        return !text.isEmpty() && collection.indexValue(index, text).equals(folded);
                    }
                    // Numbers and booleans: the merge's own reading of the value (JsonNode#asText) decides.
                    final JsonNode node = Json.mapper().readTree(parser);
                    return node != null && node.isValueNode() && !node.isNull() && collection.indexValue(index, node.asText()).equals(folded);
                }
                parser.skipChildren();
            }
            return false;
        } catch (final IOException e) {
            return false;
        }
    }
}
