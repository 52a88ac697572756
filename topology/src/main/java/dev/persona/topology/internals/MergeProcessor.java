package dev.persona.topology.internals;

import dev.persona.config.CollectionConfig;
import dev.persona.topology.ChangeRow;
import dev.persona.topology.DeadLetterHeaders;
import dev.persona.topology.LiveStores;
import dev.persona.topology.RunSamples;
import dev.persona.topology.StoredRecord;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Avg;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.common.metrics.stats.Max;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * A collection's merge, one partition at a time, in the order a change meets its steps:
 * <ol>
 *   <li>a {@link PurgeRequest} removes the record, lets go of its index values and lists the syncs that wrote it
 *       ({@link PurgeGate#purged}); a sync's change of a key those syncs still hold stops at the {@link PurgeGate};</li>
 *   <li>{@link RecordMerger} merges the change into the stored record;</li>
 *   <li>a result larger than {@code maxRecordBytes} is not written: it goes on as {@link Routed.Failed} for the
 *       dead-letter topic (key and reason, no payload), and the record keeps its last good state. Written, it would
 *       exceed what the changelog takes, kill the stream thread, and do so again after every restart;</li>
 *   <li>the record is written, its freshness recorded per sync, a sample taken for the run debugger;</li>
 *   <li>the {@link IndexForwarder} sends the index values it let go of and claimed to the index store.</li>
 * </ol>
 * Beside the changes, on wall-clock punctuations: {@link Expiry} for a collection with a {@code retention}, and
 * {@link IndexBackfill} when the configuration adds a secondary index, {@link SyncRetirement} when it removes a sync.
 * What the partition remembers besides its
 * records is in {@link PartitionBookkeeping}.
 *
 * <p>Freshness, per sync: from when a change happened at the source (the change row's {@code ts}: a database
 * commit for CDC, the run for query syncs, else when it was produced) to its merge, as the Streams metrics
 * {@code persona-freshness-avg-ms} and {@code persona-freshness-max-ms} (group {@code persona}, tags {@code sync}
 * and {@code task}), which an alert compares with a bound.
 */
public final class MergeProcessor implements Processor<String, CollectionChange, String, Routed<IndexChange>> {
    private static final Logger LOG = LoggerFactory.getLogger(MergeProcessor.class);
    private final String storeName;
    private final String purgeStoreName;
    private final RecordMerger merger;
    private final CollectionConfig collection;
    private final LiveStores live;
    private final int maxRecordBytes;
    private KeyValueStore<String, byte[]> store;
    private IndexBackfill backfill;
    private SyncRetirement retirement;
    private PurgeGate gate;
    private IndexForwarder index;
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
        partition = context.taskId().partition();
        final PartitionBookkeeping books = new PartitionBookkeeping(context.getStateStore(purgeStoreName));
        final Sensor blocked = context.metrics().addSensor("persona-purge-blocked-" + collection.name() + "-" + context.taskId(), Sensor.RecordingLevel.INFO);
        blocked.add(new MetricName("persona-purge-blocked-total", "persona", "upserts of purged records dropped until their source deletes them",
                Map.of("collection", collection.name(), "task", context.taskId().toString())), new CumulativeCount());
        gate = new PurgeGate(books, blocked);
        index = new IndexForwarder(collection, context);
        live.opened(storeName, partition, store);
        final Expiry expiry = new Expiry(store, index, collection, partition);
        collection.retention().ifPresent(retention -> context.schedule(Expiry.interval(retention), PunctuationType.WALL_CLOCK_TIME,
                now -> expiry.expire(now - retention.toMillis(), now)));
        backfill = new IndexBackfill(store, books, index, collection, partition, live);
        backfill.startIfNeeded(context);
        retirement = new SyncRetirement(store, books, index, merger, collection, partition, live);
        retirement.start(context);
    }

    @Override
    public void process(final Record<String, CollectionChange> record) {
        final String key = record.key();
        if (record.value() instanceof PurgeRequest purge) {
            purge(key, purge.ts());
            return;
        }
        final SyncChange change = (SyncChange) record.value();
        if (!gate.admits(key, change)) {
            return;
        }
        final RecordMerger.Result result = merger.merge(key, store.get(key), change);
        if (result.outcome() == RecordMerger.Outcome.WRITE && result.stored().length + key.length() > maxRecordBytes) {
            tooLarge(key, change, result.stored().length, record.timestamp());
            return;
        }
        switch (result.outcome()) {
            case WRITE -> store.put(key, result.stored());
            case REMOVE -> store.delete(key);
            case IGNORE -> {
                return;
            }
        }
        freshness(change.sync()).record(Math.max(0, context.currentSystemTimeMs() - change.ts()));
        if (change.run() != null) {
            sample(key, change, result, record.timestamp());
        }
        index.changed(key, result.before(), result.after(), change.ts(), record.timestamp());
    }

    /**
     * Removes a record and its index entries, and lists the syncs that wrote its fields as holding it: the record
     * leaves the changelog with a tombstone, its index values with theirs.
     */
    private void purge(final String key, final long ts) {
        final byte[] current = store.get(key);
        final Set<String> holders = gate.purged(key, current);
        if (current != null) {
            store.delete(key);
            index.gone(key, StoredRecord.isPresent(current) ? RecordMerger.body(current) : null, ts, ts);
        }
        LOG.info("Purged a record of collection {} (partition {}); syncs that keep it out until their source deletes it: {}", collection.name(),
                partition, holders);
    }

    /** Forwards a sample of a run's change while the run has samples left in this partition. */
    private void sample(final String key, final SyncChange change, final RecordMerger.Result result, final long timestamp) {
        final String run = change.run();
        final int taken = samplesTaken.getOrDefault(run, 0);
        if (taken >= samplesPerRun) {
            return;
        }
        samplesTaken.put(run, taken + 1);
        final byte[] sample = RunSamples.sample(change.sync(), run, key, change.op() == ChangeRow.Op.UPSERT ? "upsert" : "delete",
                change.version(), change.ts(), result.before(), result.after());
        context.forward(new Record<String, Routed<IndexChange>>(null, new Routed.Sampled<>(utf8(RunSamples.key(run, key)), sample), timestamp));
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

    private void tooLarge(final String key, final SyncChange change, final int size, final long timestamp) {
        final Headers headers = new RecordHeaders();
        headers.add(DeadLetterHeaders.REASON, utf8("the change would make record '" + key + "' of collection '" + collection.name() + "' "
                + size + " bytes, above kafka.maxRecordBytes (" + maxRecordBytes + "); the record keeps its last good state. Fix: map fewer or "
                + "smaller fields, or raise kafka.maxRecordBytes together with the producer's max.request.size and the topics' max.message.bytes"));
        headers.add(DeadLetterHeaders.SYNC, utf8(change.sync()));
        if (change.version() != null) {
            headers.add(DeadLetterHeaders.VERSION, utf8(Long.toString(change.version())));
        }
        context.forward(new Record<String, Routed<IndexChange>>(null, new Routed.Failed<>(utf8(key), null), timestamp, headers));
    }

    private static byte[] utf8(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        live.closed(storeName, partition, store);
        if (backfill != null) {
            backfill.close();
        }
        if (retirement != null) {
            retirement.close();
        }
    }
}
