package dev.persona.topology.internals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.config.CollectionConfig;
import dev.persona.topology.IndexEntry;
import dev.persona.topology.LiveStores;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Applies mapped changes to a collection's record store through a {@link RecordMerger}, and forwards the index
 * claims and releases the change causes, keyed by {@link IndexEntry#key}.
 */
public final class MergeProcessor implements Processor<String, SyncChange, String, IndexChange> {
    private final String storeName;
    private final RecordMerger merger;
    private final CollectionConfig collection;
    private final LiveStores live;
    private KeyValueStore<String, byte[]> store;
    private int partition;
    private ProcessorContext<String, IndexChange> context;

    public MergeProcessor(final String storeName, final RecordMerger merger, final CollectionConfig collection, final LiveStores live) {
        this.storeName = storeName;
        this.merger = merger;
        this.collection = collection;
        this.live = live;
    }

    @Override
    public void init(final ProcessorContext<String, IndexChange> context) {
        this.context = context;
        store = context.getStateStore(storeName);
        partition = context.taskId().partition();
        live.opened(storeName, partition, store);
    }

    @Override
    public void process(final Record<String, SyncChange> record) {
        final RecordMerger.Result result = merger.merge(record.key(), store.get(record.key()), record.value());
        switch (result.outcome()) {
            case WRITE -> store.put(record.key(), result.stored());
            case REMOVE -> store.delete(record.key());
            case IGNORE -> {
                return;
            }
        }
        for (final String index : collection.secondaryIndices()) {
            final String before = indexValue(result.before(), index);
            final String after = indexValue(result.after(), index);
            if (before != null && !before.equals(after)) {
                context.forward(new Record<>(IndexEntry.key(index, before), new IndexChange(record.key(), false, record.value().ts()), record.timestamp()));
            }
            if (after != null && !after.equals(before)) {
                context.forward(new Record<>(IndexEntry.key(index, after), new IndexChange(record.key(), true, record.value().ts()), record.timestamp()));
            }
        }
    }

    /** The index value a record holds, or null when the field is absent, null, empty or not a single value. */
    private String indexValue(final ObjectNode record, final String index) {
        final JsonNode value = record == null ? null : record.get(index);
        if (value == null || value.isNull() || !value.isValueNode() || value.asText().isEmpty()) {
            return null;
        }
        return collection.indexValue(index, value.asText());
    }

    @Override
    public void close() {
        live.closed(storeName, partition, store);
    }
}
