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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;

/**
 * Finds records by primary key or by a secondary index value. An index lookup asks the owner of the value's index
 * entry for its claimants, then the owner of the record (at most two hops), and answers only with a record that
 * still carries the value: a lookup by an old value is a 404 as soon as the record shows the new one. While the
 * index catches up with a change, the next most recent claimant that still carries the value answers.
 * <p>
 * A client's lookup whose partition is moving between instances (one stops, starts or joins: a rolling restart, a
 * configuration rolled out, a scale-out) waits for the move to settle, up to {@code http.moveWait}, and is answered
 * then, rather than answering 503 for the tenths of a second a move takes. Forwarded lookups do not wait: the instance
 * that took the client's request does, once, for the whole lookup.
 */
public final class RecordFinder {
    /** Between two tries: a move settles in tenths of a second, and a try costs microseconds. */
    private static final long PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /**
     * How many lookups may wait for a move at once. A waiting lookup holds one of the API's 16 worker threads
     * ({@code HttpThreads.WORKERS}); past half of them, a lookup of a moving partition answers 503 at once, so that
     * a move under heavy load never holds the threads the other requests need.
     */
    static final int MAX_WAITING = 8;

    private final java.util.concurrent.Semaphore waiting = new java.util.concurrent.Semaphore(MAX_WAITING);

    private final StoredValues values;
    private final Duration settle;

    public RecordFinder(final StoredValues values) {
        this(values, dev.persona.config.HttpSettings.DEFAULT_MOVE_WAIT);
    }

    /** @param settle how long a client's lookup waits for a moving partition; zero answers at once */
    public RecordFinder(final StoredValues values, final Duration settle) {
        this.values = values;
        this.settle = settle;
    }

    /** How many lookups wait for a move now. */
    int waitingNow() {
        return MAX_WAITING - waiting.availablePermits();
    }

    /**
     * Whether an answer may change within tenths of a second: the key's partition is moving or restoring, its owner just
     * left (a refused connection: the group has not yet given its partitions to others), or no standby copy is fresh
     * yet. Not a version that builds: that takes seconds to minutes. An owner that does not answer in time has already
     * cost the peer timeout, longer than the wait, so it is not asked again.
     */
    private static boolean settling(final StoredValue answer) {
        return answer instanceof StoredValue.Unavailable unavailable && unavailable.reason() != UnavailableReason.BUILDING;
    }

    /**
     * The record a query asks for, wherever it lives: found (a record with fields), absent or unavailable. A client's
     * lookup of a moving partition is asked again until it settles or the wait passes.
     */
    public StoredValue find(final RecordQuery query) {
        // The wait counts from the first try: an owner that took the peer timeout to fail is not asked again.
        final long deadline = System.nanoTime() + settle.toNanos();
        StoredValue answer = findOnce(query);
        // A lookup whose owner timed out on the fast path has waited long enough already.
        if (query.hop() != Hop.FIRST || !settling(answer) || !waiting.tryAcquire()) {
            return answer;
        }
        try {
            while (settling(answer) && System.nanoTime() - deadline < 0) {
                LockSupport.parkNanos(PAUSE_NANOS);
                answer = findOnce(query);
            }
            return answer;
        } finally {
            waiting.release();
        }
    }

    private StoredValue findOnce(final RecordQuery query) {
        final String records = TopicNames.recordStore(query.collection());
        if (query.index() instanceof IndexRef.Primary) {
            return values.get(records, query.value(), query.caller(), query.hop()).asRecord();
        }
        return byIndex(query.collection(), query.index().name(), query.value(),
                (store, key) -> values.get(store, key, query.caller(), query.hop())).asRecord();
    }

    /**
     * The record a query asks for when this instance processes every partition it needs (the index entry's and the
     * record's), read without waiting on anything (no peer, no rebalance); {@link StoredValue#NOT_HERE} otherwise,
     * and then {@link #find} finds it.
     */
    public StoredValue findHere(final RecordQuery query) {
        final StoredValue value = query.index() instanceof IndexRef.Primary
                ? values.getHere(TopicNames.recordStore(query.collection()), query.value())
                : byIndex(query.collection(), query.index().name(), query.value(), values::getHere);
        return value.asRecord();
    }

    /**
     * For a lookup by primary key that another instance actively owns: the owner's answer, without holding a thread.
     * Null for any other lookup (then {@link #find}); an answer other than a present record is for {@link #find} to
     * word, with the standby copies it may still try.
     */
    public StoredValues.Forward forward(final RecordQuery query) {
        return query.index() instanceof IndexRef.Primary
                ? values.forward(TopicNames.recordStore(query.collection()), query.value(), query.caller())
                : null;
    }

    /**
     * The instance that holds the active copy of the record a lookup by primary key asks for, as {@code host:port};
     * empty for a lookup by secondary index (its entry may live elsewhere than its record) or while no one owns it.
     */
    public java.util.Optional<String> owner(final RecordQuery query) {
        if (!(query.index() instanceof IndexRef.Primary)) {
            return java.util.Optional.empty();
        }
        return values.owner(TopicNames.recordStore(query.collection()), query.value());
    }

    /** This instance's address, as the owner header names it. */
    public org.apache.kafka.streams.state.HostInfo self() {
        return values.self();
    }

    /**
     * The records of many values of the query's index (the query's own value is ignored).
     *
     * @return value -> answer, in the order asked (duplicates once)
     */
    public Map<String, StoredValue> findAll(final RecordQuery query, final List<String> asked) {
        final long deadline = System.nanoTime() + settle.toNanos();
        final Map<String, StoredValue> found = findAllOnce(query, asked);
        if (query.hop() != Hop.FIRST) {
            return found;
        }
        List<String> moving = found.entrySet().stream().filter(e -> settling(e.getValue())).map(Map.Entry::getKey).toList();
        if (moving.isEmpty() || !waiting.tryAcquire()) {
            return found;
        }
        try {
            while (!moving.isEmpty() && System.nanoTime() - deadline < 0) {
                LockSupport.parkNanos(PAUSE_NANOS);
                found.putAll(findAllOnce(query, moving));
                moving = moving.stream().filter(value -> settling(found.get(value))).toList();
            }
            return found;
        } finally {
            waiting.release();
        }
    }

    private Map<String, StoredValue> findAllOnce(final RecordQuery query, final List<String> asked) {
        final Map<String, StoredValue> found = query.index() instanceof IndexRef.Primary
                ? values.getAll(TopicNames.recordStore(query.collection()), asked, query.caller(), query.hop())
                : byIndexValues(query.collection(), query.index().name(), asked, query.caller(), query.hop());
        found.replaceAll((value, stored) -> stored.asRecord());
        return found;
    }

    /**
     * Reads the index entry, then its claims, most recent first, until a record still carries the value. A read that
     * cannot answer here and now (unavailable, or not here for {@link StoredValues#getHere}) ends the walk with itself.
     */
    private StoredValue byIndex(final CollectionConfig collection, final String index, final String value,
                           final BiFunction<String, String, StoredValue> read) {
        final String folded = collection.indexValue(index, value);
        final StoredValue entry = read.apply(TopicNames.indexStore(collection.name()), IndexEntry.key(index, folded));
        if (!(entry instanceof StoredValue.Found found)) {
            return entry;
        }
        for (final String key : byRecency(IndexEntry.claims(found.stored()))) {
            final StoredValue record = read.apply(TopicNames.recordStore(collection), key);
            if (record instanceof StoredValue.NotHere || record instanceof StoredValue.Unavailable || carries(collection, record, index, folded)) {
                return record;
            }
        }
        return StoredValue.ABSENT;
    }

    /** Records by index value, keyed by the values asked for. */
    private Map<String, StoredValue> byIndexValues(final CollectionConfig collection, final String index, final List<String> asked,
                                                   final Caller caller, final Hop hop) {
        final Map<String, String> entryKeyByValue = new LinkedHashMap<>();
        asked.forEach(v -> entryKeyByValue.put(v, IndexEntry.key(index, collection.indexValue(index, v))));
        final Map<String, StoredValue> entries = values.getAll(TopicNames.indexStore(collection.name()),
                List.copyOf(new java.util.LinkedHashSet<>(entryKeyByValue.values())), caller, hop);
        final Map<String, List<String>> candidates = new LinkedHashMap<>();
        final Map<String, StoredValue> results = new LinkedHashMap<>();
        entryKeyByValue.forEach((value, entryKey) -> {
            final StoredValue entry = entries.get(entryKey);
            if (entry instanceof StoredValue.Found found) {
                candidates.put(value, byRecency(IndexEntry.claims(found.stored())));
            } else {
                results.put(value, entry);
            }
        });
        final List<String> winners = candidates.values().stream().filter(c -> !c.isEmpty()).map(c -> c.get(0)).distinct().toList();
        final Map<String, StoredValue> records = values.getAll(TopicNames.recordStore(collection), winners, caller, hop);
        candidates.forEach((value, keys) -> {
            final StoredValue winner = keys.isEmpty() ? StoredValue.ABSENT : records.get(keys.get(0));
            final String folded = collection.indexValue(index, value);
            if (winner instanceof StoredValue.Unavailable || carries(collection, winner, index, folded)) {
                results.put(value, winner);
            } else {
                // The first claimant no longer carries the value (the index is catching up): ask one by one.
                results.put(value, byIndex(collection, index, value, (store, key) -> values.get(store, key, caller, hop)));
            }
        });
        return results;
    }

    /**
     * The index values of a record that other records claim too, for {@code _meta}: index -> {value, winner, claimedBy}.
     */
    public Map<String, Object> conflicts(final CollectionConfig collection, final JsonNode record, final Caller caller) {
        final Map<String, Object> conflicts = new LinkedHashMap<>();
        for (final String index : collection.secondaryIndices()) {
            final String folded = IndexEntry.valueOf(collection, index, record.get(index));
            if (folded == null) {
                continue;
            }
            final StoredValue entry = values.get(TopicNames.indexStore(collection.name()), IndexEntry.key(index, folded), caller, Hop.FIRST);
            if (entry instanceof StoredValue.Found found) {
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

    private static boolean carries(final CollectionConfig collection, final StoredValue record, final String index, final String folded) {
        if (!(record instanceof StoredValue.Found found) || !StoredRecord.isPresent(found.stored())) {
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
                    // The merge's own rule decides (IndexEntry#valueOf); a string is read without building a node.
                    final String held = value == JsonToken.VALUE_STRING ? IndexEntry.textValueOf(collection, index, parser.getText())
                            : IndexEntry.valueOf(collection, index, Json.mapper().readTree(parser));
                    return folded.equals(held);
                }
                parser.skipChildren();
            }
            return false;
        } catch (final IOException e) {
            return false;
        }
    }
}
