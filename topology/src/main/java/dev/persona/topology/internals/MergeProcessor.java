package dev.persona.topology.internals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.config.CollectionConfig;
import dev.persona.topology.DeadLetterHeaders;
import dev.persona.topology.IndexEntry;
import dev.persona.topology.LiveStores;
import dev.persona.topology.Purges;
import dev.persona.topology.RunSamples;
import dev.persona.topology.StoredRecord;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Avg;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.common.metrics.stats.Max;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Applies mapped changes to a collection's record store through a {@link RecordMerger}, and forwards the index
 * claims and releases the change causes, keyed by {@link IndexEntry#key}. A change that would make a record larger
 * than {@code maxRecordBytes} is not applied: it is forwarded as {@link Routed.Failed} for the dead-letter topic (key
 * and reason, no payload), and the record keeps its last good state. Written, it would exceed what the changelog
 * takes, kill the stream thread, and do so again after every restart.
 *
 * <p>Each applied change also records its freshness per sync: from when it happened at the source (the change
 * row's {@code ts}: a database commit for CDC, the run for query syncs, else when it was produced) to its merge,
 * as the Streams metrics {@code persona-freshness-avg-ms} and {@code persona-freshness-max-ms} (group
 * {@code persona}, tags {@code sync} and {@code task}), which an alert compares with a bound.
 *
 * <p>A collection with a {@code retention} has its records not updated for that long removed, with their index
 * entries, by a wall-clock punctuation ({@link #expiryInterval}).
 *
 * <p>A purge ({@link SyncChange#isPurge}) removes the record and its index entries, and puts the syncs that wrote
 * its fields on the purge list (store {@code purgeStoreName}, keyed by {@link Purges#hash} of the key): their upserts
 * of that key are dropped until each sends a delete of it, which says its source no longer holds the row. Dropped
 * upserts are counted in {@code persona-purge-blocked-total} (group {@code persona}).
 *
 * <p>A secondary index added to a collection that holds records claims their values too: at start each partition
 * compares the indices its records were claimed in (kept in the purge store under {@link #INDEXED}, a key no hash
 * takes) with the configuration's, and claims the values of stored records for each new one, {@value #CLAIM_BATCH}
 * records per wall-clock punctuation, before it records the new set. A record changed meanwhile claims through its
 * merge as always; a claim the index already holds changes nothing ({@link IndexProcessor}), so a scan cut short by a
 * crash is simply done again.
 */
public final class MergeProcessor implements Processor<String, SyncChange, String, Routed<IndexChange>> {
    private static final Logger LOG = LoggerFactory.getLogger(MergeProcessor.class);
    static final int EXPIRY_BATCH = 10_000;
    static final int CLAIM_BATCH = 10_000;
    /** The purge store's key (no {@link Purges#hash} is this) for the indices this partition's records are claimed in. */
    static final String INDEXED = "~indexed";
    private final String storeName;
    private final String purgeStoreName;
    private final RecordMerger merger;
    private final CollectionConfig collection;
    private final LiveStores live;
    private final int maxRecordBytes;
    private KeyValueStore<String, byte[]> store;
    private KeyValueStore<String, byte[]> purged;
    /** Whether the purge list of this partition may hold anything: when not, no change pays for a hash. */
    private boolean anyPurged;
    private Sensor blocked;
    private int partition;
    private ProcessorContext<String, Routed<IndexChange>> context;
    private final Map<String, Sensor> freshness = new HashMap<>();
    /** Samples taken per run in this partition: the runs most recently seen, a few dozen at most. */
    private final Map<String, Integer> samplesTaken = new java.util.LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(final Map.Entry<String, Integer> eldest) {
            return size() > 64;
        }
    };
    private final int samplesPerRun;
    /** Indices whose values the stored records have yet to claim; the key after which the scan goes on. */
    private Set<String> unclaimed = Set.of();
    private String claimedUpTo;
    private long claimed;
    private org.apache.kafka.streams.processor.Cancellable claiming;

    public MergeProcessor(final String storeName, final String purgeStoreName, final RecordMerger merger, final CollectionConfig collection,
                          final LiveStores live, final int maxRecordBytes) {
        this.storeName = storeName;
        this.purgeStoreName = purgeStoreName;
        this.samplesPerRun = RunSamples.perPartition(collection.partitions());
        this.merger = merger;
        this.collection = collection;
        this.live = live;
        this.maxRecordBytes = maxRecordBytes;
    }

    @Override
    public void init(final ProcessorContext<String, Routed<IndexChange>> context) {
        this.context = context;
        store = context.getStateStore(storeName);
        purged = context.getStateStore(purgeStoreName);
        try (KeyValueIterator<String, byte[]> any = purged.all()) {
            // The INDEXED entry sorts after every hash (hexadecimal): first, it is the only entry.
            anyPurged = any.hasNext() && !any.next().key.equals(INDEXED);
        }
        blocked = context.metrics().addSensor("persona-purge-blocked-" + collection.name() + "-" + context.taskId(), Sensor.RecordingLevel.INFO);
        blocked.add(new MetricName("persona-purge-blocked-total", "persona", "upserts of purged records dropped until their source deletes them",
                Map.of("collection", collection.name(), "task", context.taskId().toString())), new CumulativeCount());
        partition = context.taskId().partition();
        live.opened(storeName, partition, store);
        collection.retention().ifPresent(retention -> context.schedule(expiryInterval(retention), PunctuationType.WALL_CLOCK_TIME,
                now -> expire(now - retention.toMillis())));
        final Set<String> indexed = indexed(purged.get(INDEXED));
        if (!indexed.equals(new TreeSet<>(collection.secondaryIndices()))) {
            final Set<String> added = new TreeSet<>(collection.secondaryIndices());
            added.removeAll(indexed);
            unclaimed = added;
            claimedUpTo = null;
            claimed = 0;
            // Forwarding is not allowed in init: the scan runs in punctuations, the first right away.
            claiming = context.schedule(Duration.ofMillis(10), PunctuationType.WALL_CLOCK_TIME, this::claimStored);
        }
    }

    /** The indices a partition's records are claimed in, as the purge store keeps them; none before the first scan. */
    static Set<String> indexed(final byte[] stored) {
        final Set<String> indexed = new TreeSet<>();
        if (stored != null && stored.length > 0) {
            indexed.addAll(List.of(new String(stored, StandardCharsets.UTF_8).split("\n")));
        }
        return indexed;
    }

    /**
     * Claims the values of up to {@value #CLAIM_BATCH} stored records in the indices they have yet to be claimed in;
     * once every record has, records the configuration's indices as claimed and stops.
     */
    private void claimStored(final long now) {
        int scanned = 0;
        long claims = 0;
        String last = claimedUpTo;
        if (!unclaimed.isEmpty()) {
            try (KeyValueIterator<String, byte[]> records = claimedUpTo == null ? store.all() : store.range(claimedUpTo, null)) {
                while (records.hasNext() && scanned < CLAIM_BATCH) {
                    final KeyValue<String, byte[]> record = records.next();
                    if (record.key.equals(claimedUpTo)) {
                        continue;
                    }
                    scanned++;
                    last = record.key;
                    if (record.value == null || !StoredRecord.isPresent(record.value)) {
                        continue;
                    }
                    final ObjectNode body = RecordMerger.body(record.value);
                    final Map<String, dev.persona.topology.RecordMeta.FieldProvenance> fields = StoredRecord.meta(record.value).fields();
                    for (final String index : unclaimed) {
                        final String value = indexValue(body, index);
                        if (value != null) {
                            // Claimed when the field took its value, as its merge would have claimed it.
                            final var written = fields.get(index);
                            final long ts = written != null ? written.updatedAt() : StoredRecord.updatedAt(record.value);
                            forwardIndex(index, value, IndexChange.claim(record.key, ts), now);
                            claims++;
                        }
                    }
                }
            }
        }
        claimed += claims;
        if (scanned == CLAIM_BATCH) {
            claimedUpTo = last;
            return;
        }
        purged.put(INDEXED, String.join("\n", new TreeSet<>(collection.secondaryIndices())).getBytes(StandardCharsets.UTF_8));
        claiming.cancel();
        if (claimed > 0) {
            LOG.info("Collection {} (partition {}): the stored records claimed {} value(s) in the new index(es) {}", collection.name(), partition,
                    claimed, unclaimed);
        }
        unclaimed = Set.of();
    }

    /** How often a collection with a retention looks for expired records: a 24th of it, between a minute and an hour. */
    public static Duration expiryInterval(final Duration retention) {
        final Duration tick = retention.dividedBy(24);
        return tick.compareTo(Duration.ofHours(1)) > 0 ? Duration.ofHours(1) : tick.compareTo(Duration.ofMinutes(1)) < 0 ? Duration.ofMinutes(1) : tick;
    }

    /**
     * Removes the records of this partition not updated since {@code before} (a tombstone reaches the changelog), and
     * releases their index values as a delete would. It scans the partition's store on the stream thread (about a
     * second per million records), {@value #EXPIRY_BATCH} expired records at a time, so that a mass expiry never
     * holds them all in memory.
     */
    private void expire(final long before) {
        final long now = context.currentSystemTimeMs();
        long total = 0;
        String from = null;
        while (true) {
            final List<KeyValue<String, byte[]>> expired = new ArrayList<>();
            try (KeyValueIterator<String, byte[]> records = store.range(from, null)) {
                while (records.hasNext() && expired.size() < EXPIRY_BATCH) {
                    final KeyValue<String, byte[]> record = records.next();
                    if (record.value != null && StoredRecord.isPresent(record.value) && StoredRecord.updatedAt(record.value) < before) {
                        expired.add(record);
                    }
                }
            }
            for (final KeyValue<String, byte[]> record : expired) {
                final ObjectNode gone = RecordMerger.body(record.value);
                store.delete(record.key);
                for (final String index : collection.secondaryIndices()) {
                    final String value = indexValue(gone, index);
                    if (value != null) {
                        forwardIndex(index, value, IndexChange.release(record.key, now), now);
                    }
                }
            }
            total += expired.size();
            if (expired.size() < EXPIRY_BATCH) {
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

    @Override
    public void process(final Record<String, SyncChange> record) {
        if (record.value().isPurge()) {
            purge(record.key(), record.value().ts());
            return;
        }
        if (anyPurged && blockedByPurge(record.key(), record.value())) {
            return;
        }
        final RecordMerger.Result result = merger.merge(record.key(), store.get(record.key()), record.value());
        if (result.outcome() == RecordMerger.Outcome.WRITE && result.stored().length + record.key().length() > maxRecordBytes) {
            tooLarge(record, result.stored().length);
            return;
        }
        switch (result.outcome()) {
            case WRITE -> store.put(record.key(), result.stored());
            case REMOVE -> store.delete(record.key());
            case IGNORE -> {
                return;
            }
        }
        freshness(record.value().sync()).record(Math.max(0, context.currentSystemTimeMs() - record.value().ts()));
        if (record.value().run() != null) {
            sample(record, result);
        }
        for (final String index : collection.secondaryIndices()) {
            final String before = indexValue(result.before(), index);
            final String after = indexValue(result.after(), index);
            if (before != null && !before.equals(after)) {
                forwardIndex(index, before, IndexChange.release(record.key(), record.value().ts()), record.timestamp());
            }
            if (after != null && !after.equals(before)) {
                forwardIndex(index, after, IndexChange.claim(record.key(), record.value().ts()), record.timestamp());
            }
        }
    }

    /**
     * Removes a record and its index entries, and lists the syncs that wrote its fields as holding it: the record
     * leaves the changelog with a tombstone, its index values with theirs.
     */
    private void purge(final String key, final long ts) {
        final byte[] current = store.get(key);
        final String hash = Purges.hash(key);
        final Set<String> holders = holders(purged.get(hash));
        if (current != null) {
            StoredRecord.meta(current).fields().values().forEach(p -> holders.add(p.sync()));
            final ObjectNode gone = StoredRecord.isPresent(current) ? RecordMerger.body(current) : null;
            store.delete(key);
            for (final String index : collection.secondaryIndices()) {
                final String value = indexValue(gone, index);
                if (value != null) {
                    forwardIndex(index, value, IndexChange.release(key, ts), ts);
                }
            }
        }
        if (!holders.isEmpty()) {
            purged.put(hash, String.join("\n", holders).getBytes(StandardCharsets.UTF_8));
            anyPurged = true;
        }
        LOG.info("Purged a record of collection {} (partition {}); syncs that keep it out until their source deletes it: {}", collection.name(),
                partition, holders);
    }

    /**
     * Whether a change is dropped because its key was purged and its sync still holds it; a delete from such a sync
     * takes the sync off the key's purge list (and is dropped too: the record holds nothing of it).
     */
    private boolean blockedByPurge(final String key, final SyncChange change) {
        final String hash = Purges.hash(key);
        final Set<String> holders = holders(purged.get(hash));
        if (!holders.contains(change.sync())) {
            return false;
        }
        if (change.op() == dev.persona.topology.ChangeRow.Op.DELETE) {
            holders.remove(change.sync());
            if (holders.isEmpty()) {
                purged.delete(hash);
            } else {
                purged.put(hash, String.join("\n", holders).getBytes(StandardCharsets.UTF_8));
            }
        } else {
            blocked.record();
        }
        return true;
    }

    private static Set<String> holders(final byte[] stored) {
        final Set<String> holders = new TreeSet<>();
        if (stored != null && stored.length > 0) {
            holders.addAll(List.of(new String(stored, StandardCharsets.UTF_8).split("\n")));
        }
        return holders;
    }

    /** Forwards a sample of a run's change while the run has samples left in this partition. */
    private void sample(final Record<String, SyncChange> record, final RecordMerger.Result result) {
        final String run = record.value().run();
        final int taken = samplesTaken.getOrDefault(run, 0);
        if (taken >= samplesPerRun) {
            return;
        }
        samplesTaken.put(run, taken + 1);
        final byte[] sample = RunSamples.sample(record.value().sync(), run, record.key(),
                record.value().op() == dev.persona.topology.ChangeRow.Op.UPSERT ? "upsert" : "delete", record.value().version(),
                record.value().ts(), result.before(), result.after());
        context.forward(new Record<String, Routed<IndexChange>>(null, new Routed.Sampled<>(utf8(RunSamples.key(run, record.key())), sample),
                record.timestamp()));
    }

    private Sensor freshness(final String sync) {
        return freshness.computeIfAbsent(sync, s -> {
            final Map<String, String> tags = Map.of("sync", s, "task", context.taskId().toString());
            final Sensor sensor = context.metrics().addSensor("persona-freshness-" + s + "-" + context.taskId(), Sensor.RecordingLevel.INFO);
            sensor.add(new MetricName("persona-freshness-avg-ms", "persona", "milliseconds from a change at the source to its merge, average", tags), new Avg());
            sensor.add(new MetricName("persona-freshness-max-ms", "persona", "milliseconds from a change at the source to its merge, maximum", tags), new Max());
            return sensor;
        });
    }

    private void tooLarge(final Record<String, SyncChange> record, final int size) {
        final Headers headers = new RecordHeaders();
        headers.add(DeadLetterHeaders.REASON, utf8("the change would make record '" + record.key() + "' of collection '" + collection.name() + "' "
                + size + " bytes, above kafka.maxRecordBytes (" + maxRecordBytes + "); the record keeps its last good state. Fix: map fewer or "
                + "smaller fields, or raise kafka.maxRecordBytes together with the producer's max.request.size and the topics' max.message.bytes"));
        headers.add(DeadLetterHeaders.SYNC, utf8(record.value().sync()));
        if (record.value().version() != null) {
            headers.add(DeadLetterHeaders.VERSION, utf8(Long.toString(record.value().version())));
        }
        context.forward(new Record<String, Routed<IndexChange>>(null, new Routed.Failed<>(utf8(record.key()), null), record.timestamp(), headers));
    }

    private static byte[] utf8(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** The index value a record holds ({@link IndexEntry#valueOf}), or null. */
    private String indexValue(final ObjectNode record, final String index) {
        return record == null ? null : IndexEntry.valueOf(collection, index, record.get(index));
    }

    @Override
    public void close() {
        live.closed(storeName, partition, store);
    }

    /** Sends a claim or release of {@code value} of {@code index} on to the index store, keyed by the entry it changes. */
    private void forwardIndex(final String index, final String value, final IndexChange change, final long timestamp) {
        context.forward(new Record<>(IndexEntry.key(index, value), new Routed.Ok<>(change), timestamp));
    }
}
