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
}
