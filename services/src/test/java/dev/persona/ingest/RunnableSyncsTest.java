package dev.persona.ingest;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Instances whose configurations differ while a change rolls out must agree on which control partition runs a sync:
 * the partition follows from the sync's id alone, never from the other syncs of a file.
 */
class RunnableSyncsTest {

    @Test
    void shouldGiveASyncTheSamePartitionWhateverOtherSyncsTheFileHas() {
        for (final String id : List.of("accounts", "orders", "traits", "a", "zzz")) {
            final int partition = RunnableSyncs.partitionOf(id);
            assertTrue(partition >= 0 && partition < RunnableSyncs.CONTROL_PARTITIONS, id + " -> " + partition);
            assertEquals(partition, RunnableSyncs.partitionOf(id), "a pure function of the id");
        }
    }

    @Test
    void shouldSpreadSyncsOverThePartitions() {
        final Set<Integer> used = new HashSet<>();
        for (int i = 0; i < 64; i++) {
            used.add(RunnableSyncs.partitionOf("sync-" + i));
        }
        assertTrue(used.size() >= RunnableSyncs.CONTROL_PARTITIONS * 3 / 4, "64 syncs over " + used.size() + " partitions");
    }
}
