package dev.persona.topology.internals;

import dev.persona.config.CollectionConfig;
import dev.persona.topology.LiveStores;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;

/**
 * A sync removed from a collection takes what it wrote with it: at start a partition compares the syncs whose writes
 * its records may hold ({@link PartitionBookkeeping#mergedSyncs}) with the configuration's, and for each that is gone
 * removes its fields and positions from every stored record ({@link RecordMerger#withoutSyncs}), {@value #BATCH}
 * records per wall-clock punctuation, letting go of their index values, before it records the configuration's syncs.
 * A scan cut short by a crash is simply done again: a record without the sync's writes is left as it is. A partition
 * that never recorded its syncs (made before this step existed) records them without a scan.
 */
final class SyncRetirement {
    private static final Logger LOG = LoggerFactory.getLogger(SyncRetirement.class);
    static final int BATCH = 10_000;

    private final KeyValueStore<String, byte[]> records;
    private final PartitionBookkeeping books;
    private final IndexForwarder index;
    private final RecordMerger merger;
    private final CollectionConfig collection;
    private final int partition;
    private final LiveStores live;
    private final String scan;
    /** The syncs whose writes the scan removes; null until the first punctuation compares. */
    private Set<String> removed;
    private String doneUpTo;
    private long changed;
    private Cancellable scanning;

    SyncRetirement(final KeyValueStore<String, byte[]> records, final PartitionBookkeeping books, final IndexForwarder index,
                   final RecordMerger merger, final CollectionConfig collection, final int partition, final LiveStores live) {
        this.live = live;
        this.scan = "sync-retirement:" + collection.name() + "#" + partition;
        this.records = records;
        this.books = books;
        this.index = index;
        this.merger = merger;
        this.collection = collection;
        this.partition = partition;
    }

    /**
     * Schedules the comparison, and the scan when syncs were removed. Both run in punctuations, not in init: stores
     * are written there, and the first runs right away.
     */
    void start(final ProcessorContext<?, ?> context) {
        scanning = context.schedule(Duration.ofMillis(10), PunctuationType.WALL_CLOCK_TIME, this::scan);
    }

    /** The syncs to remove the writes of, from the bookkeeping: empty when none was removed. */
    private Set<String> removedSyncs() {
        final Set<String> gone = new TreeSet<>(books.mergedSyncs());
        gone.removeAll(merger.syncIds());
        return gone;
    }

    private void scan(final long now) {
        if (removed == null) {
            removed = removedSyncs();
            live.scanning(scan, !removed.isEmpty());
        }
        int scanned = 0;
        String last = doneUpTo;
        if (!removed.isEmpty()) {
            try (KeyValueIterator<String, byte[]> scan = doneUpTo == null ? records.all() : records.range(doneUpTo, null)) {
                while (scan.hasNext() && scanned < BATCH) {
                    final KeyValue<String, byte[]> record = scan.next();
                    if (record.key.equals(doneUpTo)) {
                        continue;
                    }
                    scanned++;
                    last = record.key;
                    final RecordMerger.Result result = merger.withoutSyncs(record.key, record.value, removed, now);
                    switch (result.outcome()) {
                        case WRITE -> records.put(record.key, result.stored());
                        case REMOVE -> records.delete(record.key);
                        case IGNORE -> {
                            continue;
                        }
                    }
                    changed++;
                    index.changed(record.key, result.before(), result.after(), now, now);
                }
            }
        }
        if (scanned == BATCH) {
            doneUpTo = last;
            return;
        }
        if (!books.mergedSyncs().equals(merger.syncIds())) {
            books.putMergedSyncs(merger.syncIds());
        }
        scanning.cancel();
        if (!removed.isEmpty()) {
            LOG.info("Collection {} (partition {}): removed what the syncs {}, no longer configured, wrote: {} record(s) changed",
                    collection.name(), partition, removed, changed);
        }
        removed = Set.of();
        live.scanning(scan, false);
    }

    /** The task closes (suspended, moved away): a scan cut short is done again by the next owner. */
    void close() {
        live.scanning(scan, false);
    }
}
