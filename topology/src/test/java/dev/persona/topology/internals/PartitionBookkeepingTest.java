package dev.persona.topology.internals;

import dev.persona.topology.Purges;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PartitionBookkeepingTest {

    private static KeyValueStore<String, byte[]> store() {
        final KeyValueStore<String, byte[]> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("purges"), Serdes.String(),
                Serdes.ByteArray()).withLoggingDisabled().build();
        final MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
        store.init(context.getStateStoreContext(), store);
        return store;
    }

    @Test
    void theClaimedIndicesAreNoPurgeList() {
        final KeyValueStore<String, byte[]> store = store();
        final PartitionBookkeeping books = new PartitionBookkeeping(store);
        books.putClaimedIndices(Set.of("phone", "email"));
        assertFalse(books.anyPurgeList(), "a partition that only back-filled an index has purged nothing");
        assertEquals(Set.of("email", "phone"), books.claimedIndices());
        final String hash = Purges.hash("42");
        books.putPurgeList(hash, Set.of("crm", "billing"));
        assertTrue(books.anyPurgeList());
        assertEquals(Set.of("billing", "crm"), books.purgeList(hash));
        assertEquals(Set.of("email", "phone"), books.claimedIndices(), "the two key spaces do not see each other");
    }

    @Test
    void anEmptiedPurgeListLeavesNothingBehind() {
        final KeyValueStore<String, byte[]> store = store();
        final PartitionBookkeeping books = new PartitionBookkeeping(store);
        final String hash = Purges.hash("42");
        books.putPurgeList(hash, Set.of("crm"));
        books.putPurgeList(hash, Set.of());
        assertNull(store.get(hash));
        assertFalse(books.anyPurgeList());
        assertEquals(Set.of(), books.purgeList(hash));
    }

    @Test
    void storesKeptByEarlierVersionsReadTheSame() {
        final KeyValueStore<String, byte[]> store = store();
        // As 0.x wrote them: a hash -> syncs joined by newlines, "~indexed" -> sorted indices joined by newlines.
        store.put(Purges.hash("7"), "a\nb".getBytes());
        store.put("~indexed", "email".getBytes());
        final PartitionBookkeeping books = new PartitionBookkeeping(store);
        assertTrue(books.anyPurgeList());
        assertEquals(Set.of("a", "b"), books.purgeList(Purges.hash("7")));
        assertEquals(Set.of("email"), books.claimedIndices());
    }

    @Test
    void aResizedCollectionsPartitionsEachStartWithEveryPurgeListAndTheIndicesEveryOldPartitionClaimed() {
        final KeyValueStore<String, byte[]> first = store();
        final KeyValueStore<String, byte[]> second = store();
        final PartitionBookkeeping one = new PartitionBookkeeping(first);
        final PartitionBookkeeping two = new PartitionBookkeeping(second);
        one.putClaimedIndices(Set.of("email", "phone"));
        two.putClaimedIndices(Set.of("email"));
        one.putMergedSyncs(Set.of("crm"));
        two.putMergedSyncs(Set.of("billing"));
        one.putPurgeList(Purges.hash("42"), Set.of("crm"));
        two.putPurgeList(Purges.hash("7"), Set.of("billing", "crm"));

        final java.util.Map<String, byte[]> resized = PartitionBookkeeping.resized(java.util.List.of(entries(first), entries(second)));

        final KeyValueStore<String, byte[]> next = store();
        resized.forEach(next::put);
        final PartitionBookkeeping books = new PartitionBookkeeping(next);
        assertEquals(Set.of("email"), books.claimedIndices(), "phone was never claimed by the second partition's records: back-filled");
        assertEquals(Set.of("billing", "crm"), books.mergedSyncs(), "what any old partition's records may hold");
        assertEquals(Set.of("crm"), books.purgeList(Purges.hash("42")));
        assertEquals(Set.of("billing", "crm"), books.purgeList(Purges.hash("7")));
        assertEquals(4, resized.size());
    }

    @Test
    void aPurgeListRemovedInItsOldPartitionIsNotResized() {
        final java.util.Map<String, byte[]> partition = new java.util.LinkedHashMap<>();
        partition.put(Purges.hash("42"), null);
        assertTrue(PartitionBookkeeping.resized(java.util.List.of(partition, java.util.Map.of())).isEmpty(),
                "a removed list (its changelog's tombstone) and no claimed index: nothing to start with");
    }

    private static java.util.Map<String, byte[]> entries(final KeyValueStore<String, byte[]> store) {
        final java.util.Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        try (var all = store.all()) {
            all.forEachRemaining(kv -> entries.put(kv.key, kv.value));
        }
        return entries;
    }
}
