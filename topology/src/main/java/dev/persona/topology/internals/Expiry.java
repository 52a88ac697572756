package dev.persona.topology.internals;

import dev.persona.config.CollectionConfig;
import dev.persona.topology.StoredRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Removes the records of a collection with a {@code retention} that were not updated for that long, with their index
 * values, on a wall-clock punctuation every {@link #interval}. It scans the partition's store on the stream thread
 * (about a second per million records), {@value #BATCH} expired records at a time, so that a mass expiry never holds
 * them all in memory.
 */
public final class Expiry {
    private static final Logger LOG = LoggerFactory.getLogger(Expiry.class);
    static final int BATCH = 10_000;

    private final KeyValueStore<String, byte[]> records;
    private final IndexForwarder index;
    private final CollectionConfig collection;
    private final int partition;

    Expiry(final KeyValueStore<String, byte[]> records, final IndexForwarder index, final CollectionConfig collection, final int partition) {
        this.records = records;
        this.index = index;
        this.collection = collection;
        this.partition = partition;
    }

    /** How often a collection with a retention looks for expired records: a 24th of it, between a minute and an hour. */
    public static Duration interval(final Duration retention) {
        final Duration tick = retention.dividedBy(24);
        return tick.compareTo(Duration.ofHours(1)) > 0 ? Duration.ofHours(1) : tick.compareTo(Duration.ofMinutes(1)) < 0 ? Duration.ofMinutes(1) : tick;
    }

    /** Removes the records not updated since {@code before} (a tombstone reaches the changelog) and lets go of their index values. */
    void expire(final long before, final long now) {
        long total = 0;
        String from = null;
        while (true) {
            final List<KeyValue<String, byte[]>> expired = new ArrayList<>();
            try (KeyValueIterator<String, byte[]> scan = records.range(from, null)) {
                while (scan.hasNext() && expired.size() < BATCH) {
                    final KeyValue<String, byte[]> record = scan.next();
                    if (record.value != null && StoredRecord.isPresent(record.value) && StoredRecord.updatedAt(record.value) < before) {
                        expired.add(record);
                    }
                }
            }
            for (final KeyValue<String, byte[]> record : expired) {
                records.delete(record.key);
                index.gone(record.key, RecordMerger.body(record.value), now, now);
            }
            total += expired.size();
            if (expired.size() < BATCH) {
                break;
            }
            // The batch's keys are gone: the next scan starts at the last of them and finds the ones after it.
            from = expired.get(expired.size() - 1).key;
        }
        if (total > 0) {
            LOG.info("Expired {} records of collection {} (partition {}) not updated for {}", total, collection.name(), partition,
                    collection.retention().orElseThrow());
        }
    }
}
