package dev.persona.topology.internals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.config.CollectionConfig;
import dev.persona.topology.LiveStores;
import dev.persona.topology.RecordMeta;
import dev.persona.topology.StoredRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A secondary index added to a collection that holds records claims their values too: at start a partition compares
 * the indices its records are claimed in ({@link PartitionBookkeeping#claimedIndices}) with the configuration's, and
 * claims the values of stored records for each new one, {@value #BATCH} records per wall-clock punctuation, before it
 * records the new set. A record changed meanwhile claims through its merge as always; a claim the index already holds
 * changes nothing ({@link IndexProcessor}), so a scan cut short by a crash is simply done again.
 */
final class IndexBackfill {
    private static final Logger LOG = LoggerFactory.getLogger(IndexBackfill.class);
    static final int BATCH = 10_000;

    private final KeyValueStore<String, byte[]> records;
    private final PartitionBookkeeping books;
    private final IndexForwarder index;
    private final CollectionConfig collection;
    private final int partition;
    /** Indices whose values the stored records have yet to claim; the key after which the scan goes on. */
    private Set<String> unclaimed = Set.of();
    private String claimedUpTo;
    private long claimed;
    private Cancellable claiming;
    private final LiveStores live;
    private final String scan;

    IndexBackfill(final KeyValueStore<String, byte[]> records, final PartitionBookkeeping books, final IndexForwarder index,
                  final CollectionConfig collection, final int partition, final LiveStores live) {
        this.live = live;
        this.scan = "index-backfill:" + collection.name() + "#" + partition;
        this.records = records;
        this.books = books;
        this.index = index;
        this.collection = collection;
        this.partition = partition;
    }

    /** Starts the back-fill when the configuration names indices the stored records are not claimed in yet. */
    void startIfNeeded(final ProcessorContext<?, ?> context) {
        final Set<String> configured = new TreeSet<>(collection.secondaryIndices());
        final Set<String> indexed = books.claimedIndices();
        if (indexed.equals(configured)) {
            return;
        }
        configured.removeAll(indexed);
        unclaimed = configured;
        live.scanning(scan, true);
        claimedUpTo = null;
        claimed = 0;
        // Forwarding is not allowed in init: the scan runs in punctuations, the first right away.
        claiming = context.schedule(Duration.ofMillis(10), PunctuationType.WALL_CLOCK_TIME, this::claimStored);
    }

    /**
     * Claims the values of up to {@value #BATCH} stored records in the indices they have yet to be claimed in; once
     * every record has, records the configuration's indices as claimed and stops.
     */
    private void claimStored(final long now) {
        int scanned = 0;
        String last = claimedUpTo;
        if (!unclaimed.isEmpty()) {
            try (KeyValueIterator<String, byte[]> scan = claimedUpTo == null ? records.all() : records.range(claimedUpTo, null)) {
                while (scan.hasNext() && scanned < BATCH) {
                    final KeyValue<String, byte[]> record = scan.next();
                    if (record.key.equals(claimedUpTo)) {
                        continue;
                    }
                    scanned++;
                    last = record.key;
                    if (record.value == null || !StoredRecord.isPresent(record.value)) {
                        continue;
                    }
                    final ObjectNode body = RecordMerger.body(record.value);
                    final Map<String, RecordMeta.FieldProvenance> fields = StoredRecord.meta(record.value).fields();
                    for (final String name : unclaimed) {
                        // Claimed when the field took its value, as its merge would have claimed it.
                        final RecordMeta.FieldProvenance written = fields.get(name);
                        final long ts = written != null ? written.updatedAt() : StoredRecord.updatedAt(record.value);
                        if (index.claim(record.key, body, name, ts, now)) {
                            claimed++;
                        }
                    }
                }
            }
        }
        if (scanned == BATCH) {
            claimedUpTo = last;
            return;
        }
        books.putClaimedIndices(Set.copyOf(collection.secondaryIndices()));
        claiming.cancel();
        if (claimed > 0) {
            LOG.info("Collection {} (partition {}): the stored records claimed {} value(s) in the new index(es) {}", collection.name(), partition,
                    claimed, unclaimed);
        }
        unclaimed = Set.of();
        live.scanning(scan, false);
    }

    /** The task closes (suspended, moved away): a scan cut short is done again by the next owner. */
    void close() {
        live.scanning(scan, false);
    }
}
