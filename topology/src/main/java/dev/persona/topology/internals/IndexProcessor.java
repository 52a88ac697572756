package dev.persona.topology.internals;

import dev.persona.topology.IndexEntry;
import dev.persona.topology.LiveStores;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.Map;

/**
 * Keeps a collection's index store: each index value with every record that claims it. A claim by a second
 * record is a conflict: the most recent claim wins, and the conflict is counted in the Streams metric
 * {@code persona-index-conflicts-total} (group {@code persona}, tag {@code collection}). An entry remembers at most
 * {@code maxClaims} claims, forgetting the oldest, so one value claimed by ever more records (a shared placeholder
 * email) never grows past what Kafka takes. A claim by a record that holds the value already changes nothing.
 */
public final class IndexProcessor implements Processor<String, IndexChange, Void, Void> {
    private final String storeName;
    private final String collection;
    private final int maxClaims;
    private final LiveStores live;
    private KeyValueStore<String, byte[]> store;
    private int partition;
    private Sensor conflicts;

    public IndexProcessor(final String storeName, final String collection, final int maxClaims, final LiveStores live) {
        this.storeName = storeName;
        this.collection = collection;
        this.maxClaims = maxClaims;
        this.live = live;
    }

    @Override
    public void init(final ProcessorContext<Void, Void> context) {
        store = context.getStateStore(storeName);
        partition = context.taskId().partition();
        live.opened(storeName, partition, store);
        conflicts = context.metrics().addSensor("persona-index-conflicts-" + collection + "-" + context.taskId(), Sensor.RecordingLevel.INFO);
        conflicts.add(new MetricName("persona-index-conflicts-total", "persona", "index values claimed by more than one record",
                Map.of("collection", collection, "task", context.taskId().toString())), new CumulativeCount());
    }

    @Override
    public void process(final Record<String, IndexChange> record) {
        final Map<String, Long> claims = IndexEntry.claims(store.get(record.key()));
        final IndexChange change = record.value();
        if (change.claim()) {
            if (claims.containsKey(change.key())) {
                // A record claiming a value it holds: a stored record claiming it again for a new index's scan
                // (MergeProcessor), or a replay. Nothing changes: its claim keeps its time, and no conflict is counted.
                return;
            }
            if (!claims.isEmpty()) {
                conflicts.record();
            }
            claims.put(change.key(), change.ts());
            while (claims.size() > maxClaims) {
                claims.entrySet().stream().min(Map.Entry.comparingByValue()).map(Map.Entry::getKey).ifPresent(claims::remove);
            }
        } else {
            claims.remove(change.key());
        }
        if (claims.isEmpty()) {
            store.delete(record.key());
        } else {
            store.put(record.key(), IndexEntry.encode(claims));
        }
    }

    @Override
    public void close() {
        live.closed(storeName, partition, store);
    }
}
