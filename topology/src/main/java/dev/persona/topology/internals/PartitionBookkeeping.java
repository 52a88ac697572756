package dev.persona.topology.internals;

import dev.persona.topology.Purges;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a partition of a collection's merge remembers besides its records, in the collection's purge store
 * ({@code TopicNames.purgeStore}), in two key spaces of its own: the purge lists, keyed by {@link Purges#hash} of a
 * record key (64 hexadecimal digits: the syncs that must delete the key before they may write it again), and one
 * entry {@link #CLAIMED_INDICES} for the secondary indices this partition's records are claimed in, and one,
 * {@link #MERGED_SYNCS}, for the syncs whose writes they may hold. The layout is
 * defined here only; {@link PurgeGate} and {@link IndexBackfill} read and write through this class.
 */
public final class PartitionBookkeeping {
    /** Not a hash (a hash is hexadecimal, this sorts after every one): the indices the stored records are claimed in. */
    private static final String CLAIMED_INDICES = "~indexed";
    /** Not a hash either: the syncs whose writes the stored records may hold. */
    private static final String MERGED_SYNCS = "~syncs";

    private final KeyValueStore<String, byte[]> store;

    PartitionBookkeeping(final KeyValueStore<String, byte[]> store) {
        this.store = store;
    }

    /** Whether any purge list is kept: when not, no change pays for a hash. */
    boolean anyPurgeList() {
        try (KeyValueIterator<String, byte[]> any = store.all()) {
            // The bookkeeping entries sort after every hash: when one comes first, no purge list is kept.
            return any.hasNext() && !any.next().key.startsWith("~");
        }
    }

    /** The syncs that hold the purged key {@code hash}; empty when it is on no purge list. */
    Set<String> purgeList(final String hash) {
        return lines(store.get(hash));
    }

    /** Keeps {@code syncs} as the purge list of {@code hash}; an empty list is removed. */
    void putPurgeList(final String hash, final Set<String> syncs) {
        if (syncs.isEmpty()) {
            store.delete(hash);
        } else {
            store.put(hash, String.join("\n", syncs).getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The secondary indices the stored records are claimed in; none before the first back-fill. */
    Set<String> claimedIndices() {
        return lines(store.get(CLAIMED_INDICES));
    }

    void putClaimedIndices(final Set<String> indices) {
        store.put(CLAIMED_INDICES, String.join("\n", new TreeSet<>(indices)).getBytes(StandardCharsets.UTF_8));
    }

    /** The syncs whose writes the stored records may hold; none before the first record of them. */
    Set<String> mergedSyncs() {
        return lines(store.get(MERGED_SYNCS));
    }

    void putMergedSyncs(final Set<String> syncs) {
        store.put(MERGED_SYNCS, String.join("\n", new TreeSet<>(syncs)).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * What every partition of a collection resized to another partition count starts with, from the bookkeeping of
     * all the old partitions (each entry as its changelog last held it; a null value is a removed entry). A purge
     * list is kept by a hash of the key, whose partition cannot be told: every new partition gets every list (a list
     * in a partition its key is not in is never read, and only keeps a sync from writing a key it never sees there).
     * The indices the records are claimed in are those every old partition claimed (a new partition holds records
     * of each), the merged syncs those any old partition merged.
     *
     * @param partitions each old partition's entries, key to value
     */
    public static Map<String, byte[]> resized(final List<Map<String, byte[]>> partitions) {
        final Map<String, Set<String>> purgeLists = new TreeMap<>();
        Set<String> claimed = null;
        final Set<String> merged = new TreeSet<>();
        for (final Map<String, byte[]> partition : partitions) {
            final Set<String> claimedHere = lines(partition.get(CLAIMED_INDICES));
            claimed = claimed == null ? claimedHere : new TreeSet<>(claimed.stream().filter(claimedHere::contains).toList());
            merged.addAll(lines(partition.get(MERGED_SYNCS)));
            partition.forEach((key, value) -> {
                if (!key.startsWith("~") && value != null) {
                    purgeLists.computeIfAbsent(key, k -> new TreeSet<>()).addAll(lines(value));
                }
            });
        }
        final Map<String, byte[]> resized = new TreeMap<>();
        purgeLists.forEach((hash, syncs) -> resized.put(hash, String.join("\n", syncs).getBytes(StandardCharsets.UTF_8)));
        if (claimed != null && !claimed.isEmpty()) {
            resized.put(CLAIMED_INDICES, String.join("\n", claimed).getBytes(StandardCharsets.UTF_8));
        }
        if (!merged.isEmpty()) {
            resized.put(MERGED_SYNCS, String.join("\n", merged).getBytes(StandardCharsets.UTF_8));
        }
        return resized;
    }

    private static Set<String> lines(final byte[] stored) {
        final Set<String> lines = new TreeSet<>();
        if (stored != null && stored.length > 0) {
            lines.addAll(List.of(new String(stored, StandardCharsets.UTF_8).split("\n")));
        }
        return lines;
    }
}
