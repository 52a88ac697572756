package dev.persona.topology;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.config.CollectionConfig;
import dev.persona.config.SyncConfig;
import dev.persona.topology.internals.RecordMerger;
import dev.persona.topology.internals.RowMapper;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One collection's merge outside Kafka Streams: a change row of one of its syncs mapped by that sync's mapping and
 * merged into a record's stored bytes, as the stream thread does between {@code store.get} and {@code store.put}.
 * For tools and benchmarks ({@code bench/run merge}), which need the merge without the topology's internals; the
 * topology's processors use the same classes.
 */
public final class CollectionMerge {
    private final RecordMerger merger;
    private final Map<String, RowMapper> mappers = new HashMap<>();

    public CollectionMerge(final CollectionConfig collection, final List<SyncConfig> syncs) {
        this.merger = new RecordMerger(collection, syncs);
        syncs.forEach(sync -> mappers.put(sync.id(), new RowMapper(sync)));
    }

    /**
     * What one change did to a record.
     *
     * @param changed whether the store changes (false: the change was older than what its sync last applied)
     * @param stored  the record's stored bytes now; null when the record is gone
     * @param after   the record's fields now; null when it is absent
     */
    public record Merged(boolean changed, byte[] stored, ObjectNode after) {
    }

    /**
     * {@code row} of sync {@code syncId} merged into {@code stored} (null when the key has no record).
     *
     * @param timestamp the change's time when the row carries none, as the record's Kafka timestamp would be
     * @throws IllegalArgumentException when the sync does not feed this collection
     */
    public Merged apply(final String syncId, final ChangeRow row, final long timestamp, final byte[] stored) {
        final RowMapper mapper = mappers.get(syncId);
        if (mapper == null) {
            throw new IllegalArgumentException("sync '" + syncId + "' does not feed this collection");
        }
        final RecordMerger.Result result = merger.merge(row.key(), stored, mapper.map(row, timestamp));
        return switch (result.outcome()) {
            case WRITE -> new Merged(true, result.stored(), result.after());
            case REMOVE -> new Merged(true, null, null);
            case IGNORE -> new Merged(false, stored, result.after());
        };
    }
}
