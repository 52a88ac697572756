package dev.persona.topology.internals;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/** Applies mapped changes to a collection's record store through a {@link RecordMerger}. */
public final class MergeProcessor implements Processor<String, SyncChange, Void, Void> {
    private final String storeName;
    private final RecordMerger merger;
    private KeyValueStore<String, byte[]> store;

    public MergeProcessor(final String storeName, final RecordMerger merger) {
        this.storeName = storeName;
        this.merger = merger;
    }

    @Override
    public void init(final ProcessorContext<Void, Void> context) {
        store = context.getStateStore(storeName);
    }

    @Override
    public void process(final Record<String, SyncChange> record) {
        final RecordMerger.Result result = merger.merge(record.key(), store.get(record.key()), record.value());
        switch (result.outcome()) {
            case WRITE -> store.put(record.key(), result.stored());
            case REMOVE -> store.delete(record.key());
            case IGNORE -> { }
        }
    }
}
