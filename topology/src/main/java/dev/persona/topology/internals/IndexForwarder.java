package dev.persona.topology.internals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.config.CollectionConfig;
import dev.persona.topology.IndexEntry;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Sends the merge's index claims and releases on to the index store ({@link IndexProcessor}), each keyed by the
 * entry it changes ({@link IndexEntry#key}): the one place that decides which values of a record a change claims
 * and lets go of.
 */
final class IndexForwarder {
    private final CollectionConfig collection;
    private final ProcessorContext<String, Routed<IndexChange>> context;

    IndexForwarder(final CollectionConfig collection, final ProcessorContext<String, Routed<IndexChange>> context) {
        this.collection = collection;
        this.context = context;
    }

    /** Record {@code key} changed from {@code before} to {@code after} (either may be null): what changed is let go of and claimed. */
    void changed(final String key, final ObjectNode before, final ObjectNode after, final long ts, final long timestamp) {
        for (final String index : collection.secondaryIndices()) {
            final String was = valueOf(before, index);
            final String is = valueOf(after, index);
            if (was != null && !was.equals(is)) {
                forward(index, was, IndexChange.release(key, ts), timestamp);
            }
            if (is != null && !is.equals(was)) {
                forward(index, is, IndexChange.claim(key, ts), timestamp);
            }
        }
    }

    /** Record {@code key} is gone (purged, expired): each of its values is let go of. */
    void gone(final String key, final ObjectNode record, final long ts, final long timestamp) {
        changed(key, record, null, ts, timestamp);
    }

    /** Record {@code key}, as stored, claims its value of {@code index} (a back-fill of a new index). */
    boolean claim(final String key, final ObjectNode record, final String index, final long ts, final long timestamp) {
        final String value = valueOf(record, index);
        if (value == null) {
            return false;
        }
        forward(index, value, IndexChange.claim(key, ts), timestamp);
        return true;
    }

    /** The index value a record holds ({@link IndexEntry#valueOf}), or null. */
    private String valueOf(final ObjectNode record, final String index) {
        return record == null ? null : IndexEntry.valueOf(collection, index, record.get(index));
    }

    private void forward(final String index, final String value, final IndexChange change, final long timestamp) {
        context.forward(new Record<>(IndexEntry.key(index, value), new Routed.Ok<>(change), timestamp));
    }
}
