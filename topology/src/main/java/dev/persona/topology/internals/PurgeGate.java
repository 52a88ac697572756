package dev.persona.topology.internals;

import dev.persona.topology.ChangeRow;
import dev.persona.topology.Purges;
import dev.persona.topology.StoredRecord;
import org.apache.kafka.common.metrics.Sensor;

import java.util.Set;

/**
 * Keeps purged records out. A purge lists the syncs that wrote the record's fields as holding it (by
 * {@link Purges#hash} of the key, in {@link PartitionBookkeeping}); their upserts of that key are dropped, and counted
 * in {@code persona-purge-blocked-total}, until each sends a delete of it, which says its source no longer holds the
 * row.
 */
final class PurgeGate {
    private final PartitionBookkeeping books;
    private final Sensor blocked;
    /** Whether the purge lists of this partition may hold anything: when not, no change pays for a hash. */
    private boolean anyPurged;

    PurgeGate(final PartitionBookkeeping books, final Sensor blocked) {
        this.books = books;
        this.blocked = blocked;
        this.anyPurged = books.anyPurgeList();
    }

    /**
     * Whether {@code change} may merge: not when its key was purged and its sync still holds it. A delete from such a
     * sync takes the sync off the key's purge list (and is not merged either: the record holds nothing of it).
     */
    boolean admits(final String key, final SyncChange change) {
        if (!anyPurged) {
            return true;
        }
        final String hash = Purges.hash(key);
        final Set<String> holders = books.purgeList(hash);
        if (!holders.contains(change.sync())) {
            return true;
        }
        if (change.op() == ChangeRow.Op.DELETE) {
            holders.remove(change.sync());
            books.putPurgeList(hash, holders);
        } else {
            blocked.record();
        }
        return false;
    }

    /**
     * Lists the syncs that wrote {@code current} (the stored record of {@code key}, or null) as holding the key, beside
     * any a purge before listed.
     *
     * @return the syncs that now hold the key
     */
    Set<String> purged(final String key, final byte[] current) {
        final String hash = Purges.hash(key);
        final Set<String> holders = books.purgeList(hash);
        if (current != null) {
            StoredRecord.meta(current).fields().values().forEach(p -> holders.add(p.sync()));
        }
        if (!holders.isEmpty()) {
            books.putPurgeList(hash, holders);
            anyPurged = true;
        }
        return holders;
    }
}
