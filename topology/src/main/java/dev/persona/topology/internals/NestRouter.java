package dev.persona.topology.internals;

import dev.persona.topology.ChangeRow;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.charset.StandardCharsets;

/**
 * Sends each child row of a nested sync to its parent, remembering which parent holds each child (a changelogged
 * store, child key -> parent key): an upsert puts the element in its parent's array, and first takes it out of the
 * parent it had when that changed (a move); a delete takes it out of the parent the store names, since a delete may
 * carry only the child's key.
 */
public final class NestRouter implements Processor<String, NestChange, String, NestOp> {
    private final String storeName;
    private KeyValueStore<String, byte[]> parents;
    private ProcessorContext<String, NestOp> context;

    public NestRouter(final String storeName) {
        this.storeName = storeName;
    }

    @Override
    public void init(final ProcessorContext<String, NestOp> context) {
        this.context = context;
        parents = context.getStateStore(storeName);
    }

    @Override
    public void process(final Record<String, NestChange> record) {
        final NestChange change = record.value();
        final byte[] stored = parents.get(change.child());
        final String before = stored == null ? null : new String(stored, StandardCharsets.UTF_8);
        if (change.op() == ChangeRow.Op.UPSERT) {
            if (before != null && !before.equals(change.parent())) {
                forward(record, before, new NestOp(change.child(), true, null, null, change.version(), change.ts()));
            }
            forward(record, change.parent(), new NestOp(change.child(), false, change.element(), change.order(), change.version(), change.ts()));
            parents.put(change.child(), change.parent().getBytes(StandardCharsets.UTF_8));
        } else {
            final String parent = before != null ? before : change.parent();
            if (parent != null) {
                forward(record, parent, new NestOp(change.child(), true, null, null, change.version(), change.ts()));
            }
            parents.delete(change.child());
        }
    }

    private void forward(final Record<String, NestChange> record, final String parent, final NestOp op) {
        context.forward(new Record<>(parent, op, record.timestamp(), record.headers()));
    }
}
