package dev.persona.topology.internals;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.persona.config.CollectionConfig;
import dev.persona.config.SyncConfig;
import dev.persona.topology.ChangeRow;
import dev.persona.topology.Json;
import dev.persona.topology.RecordMeta;
import dev.persona.topology.RecordMeta.FieldProvenance;
import dev.persona.topology.RecordMeta.SyncPosition;
import dev.persona.topology.StoredRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Merges one sync's change into a stored record, by field ownership:
 * <ul>
 *   <li>an upsert sets the sync's fields it carries; other syncs' fields stay;</li>
 *   <li>a delete applies the sync's {@code onDelete}: keep everything, clear the sync's fields, or drop the record;</li>
 *   <li>a change older (lower {@code version}) than the last one applied for its sync and key is ignored;</li>
 *   <li>the record carries its primary-index field, set to the key; with no fields left it is absent.</li>
 * </ul>
 * A pure function of its inputs, so it is tested without Kafka.
 */
public final class RecordMerger {
    private static final ObjectMapper MAPPER = Json.mapper();

    private final String primaryIndex;
    private final Map<String, SyncConfig> syncs;
    private final List<String> fieldOrder;
    /**
     * Per sync, {@link SyncConfig#mayWrite} with the owned fields as a set made once: the merge asks it for every field
     * the changing sync wrote, and {@code ownedFields()} builds a list each time.
     */
    private final Map<String, Predicate<String>> writable = new HashMap<>();

    public RecordMerger(final CollectionConfig collection, final List<SyncConfig> syncs) {
        this.primaryIndex = collection.primaryIndex();
        this.syncs = new LinkedHashMap<>();
        syncs.forEach(s -> this.syncs.put(s.id(), s));
        this.fieldOrder = syncs.stream().flatMap(s -> s.ownedFields().stream()).toList();
        for (final SyncConfig sync : syncs) {
            final Set<String> owned = Set.copyOf(sync.ownedFields());
            writable.put(sync.id(), sync.includeAll().<Predicate<String>>map(all -> f -> owned.contains(f) || all.includes(f))
                    .orElse(owned::contains));
        }
    }

    /** What a merge decided, and the record's JSON before and after (null when absent). */
    public record Result(Outcome outcome, byte[] stored, ObjectNode before, ObjectNode after) {
    }

    /** What to do with the store. */
    public enum Outcome {
        /** Write {@link Result#stored()}. */
        WRITE,
        /** Remove the key: nothing is left to remember. */
        REMOVE,
        /** Leave the store as it is: the change was stale. */
        IGNORE
    }

    /**
     * Merges a change into the current stored value.
     *
     * @param key     the record key
     * @param current the stored value, or null
     * @param change  the mapped change
     */
    public Result merge(final String key, final byte[] current, final SyncChange change) {
        final SyncConfig sync = syncs.get(change.sync());
        if (sync == null) {
            throw new IllegalArgumentException("sync '" + change.sync() + "' does not feed this collection");
        }
        final RecordMeta meta = current == null ? null : StoredRecord.meta(current);
        final ObjectNode before = current != null && StoredRecord.isPresent(current) ? readBody(current) : null;
        final SyncPosition last = meta == null ? null : meta.syncs().get(sync.id());
        if (change.version() != null && last != null && last.version() != null && change.version() < last.version()) {
            return new Result(Outcome.IGNORE, current, before, before);
        }
        // A row read again by a resync, older than what its sync last applied: a live change overtook it.
        if (change.replayed() && last != null && change.ts() < last.updatedAt()) {
            return new Result(Outcome.IGNORE, current, before, before);
        }

        // A shallow copy: the merge replaces top-level fields and never changes a nested value in place.
        final ObjectNode fields = before == null ? MAPPER.createObjectNode() : MAPPER.createObjectNode().setAll(before);
        JsonNode keyValue = fields.remove(primaryIndex);
        final Map<String, FieldProvenance> provenance = meta == null ? new LinkedHashMap<>() : new LinkedHashMap<>(meta.fields());
        final FieldProvenance written = new FieldProvenance(sync.id(), change.version(), change.ts());
        if (change.op() == ChangeRow.Op.UPSERT) {
            final Iterator<Map.Entry<String, JsonNode>> values = change.fields().fields();
            while (values.hasNext()) {
                final Map.Entry<String, JsonNode> value = values.next();
                fields.set(value.getKey(), value.getValue());
                provenance.put(value.getKey(), written);
            }
            // Fields this sync wrote under an older mapping (removed from it, excluded, or taken by another sync's
            // mapping) go with the next change of the row; a full resync removes them from every record.
            final Predicate<String> mayWrite = writable.get(sync.id());
            provenance.entrySet().removeIf(field -> {
                final boolean stale = field.getValue().sync().equals(sync.id()) && !mayWrite.test(field.getKey());
                if (stale) {
                    fields.remove(field.getKey());
                }
                return stale;
            });
            if (isKeyValue(change.keyValue(), key) && (keyValue == null || keyValue.isTextual() && !change.keyValue().isTextual())) {
                keyValue = change.keyValue();
            }
        } else {
            switch (sync.onDelete()) {
                case IGNORE -> { }
                case CLEAR_FIELDS -> {
                    // What it maps, and what it wrote as far as provenance tells (included columns, older mappings).
                    sync.ownedFields().forEach(f -> {
                        fields.remove(f);
                        provenance.remove(f);
                    });
                    provenance.entrySet().removeIf(field -> {
                        final boolean its = field.getValue().sync().equals(sync.id());
                        if (its) {
                            fields.remove(field.getKey());
                        }
                        return its;
                    });
                }
                case DELETE_RECORD -> {
                    fields.removeAll();
                    provenance.clear();
                }
            }
        }

        final Map<String, SyncPosition> positions = meta == null ? new LinkedHashMap<>() : new LinkedHashMap<>(meta.syncs());
        final Long version = change.version() != null ? change.version() : last == null ? null : last.version();
        positions.put(sync.id(), new SyncPosition(version, change.ts()));

        return result(key, current, meta, before, fields, keyValue, provenance, positions, change.ts());
    }

    /**
     * The stored record a merge leaves: removed when no field and no versioned position is left, else its fields in
     * configuration order, a new revision when its JSON changed, and {@code ts} as its last change when later.
     */
    private Result result(final String key, final byte[] current, final RecordMeta meta, final ObjectNode before, final ObjectNode fields,
                          final JsonNode keyValue, final Map<String, FieldProvenance> provenance, final Map<String, SyncPosition> positions,
                          final long ts) {
        final ObjectNode after;
        final byte[] body;
        if (fields.isEmpty()) {
            after = null;
            body = new byte[0];
            if (positions.values().stream().allMatch(p -> p.version() == null)) {
                return new Result(Outcome.REMOVE, null, before, null);
            }
        } else {
            after = inConfigurationOrder(fields, keyValue != null ? keyValue : TextNode.valueOf(key));
            body = write(after);
        }
        final boolean unchanged = current == null ? body.length == 0
                : Arrays.equals(current, StoredRecord.BODY_OFFSET, StoredRecord.BODY_OFFSET + StoredRecord.bodyLength(current), body, 0, body.length);
        final long revision = (meta == null ? 0 : meta.revision()) + (unchanged ? 0 : 1);
        final long updatedAt = Math.max(ts, meta == null ? 0 : meta.updatedAt());
        final byte[] stored = StoredRecord.encode(body, new RecordMeta(revision, updatedAt, provenanceInOrder(provenance), positions));
        return new Result(Outcome.WRITE, stored, before, after);
    }

    /**
     * The stored record without what {@code removed} syncs wrote: their fields and their positions go, as if each had
     * deleted its row with {@code clear_fields}. What a removed sync set stays nowhere once its rows are no longer read.
     *
     * @return {@link Outcome#IGNORE} when none of them wrote to the record
     */
    public Result withoutSyncs(final String key, final byte[] current, final Set<String> removed, final long now) {
        if (current == null) {
            return new Result(Outcome.IGNORE, null, null, null);
        }
        final RecordMeta meta = StoredRecord.meta(current);
        final ObjectNode before = StoredRecord.isPresent(current) ? readBody(current) : null;
        if (meta.syncs().keySet().stream().noneMatch(removed::contains) && meta.fields().values().stream().noneMatch(f -> removed.contains(f.sync()))) {
            return new Result(Outcome.IGNORE, current, before, before);
        }
        final ObjectNode fields = before == null ? MAPPER.createObjectNode() : MAPPER.createObjectNode().setAll(before);
        final JsonNode keyValue = fields.remove(primaryIndex);
        final Map<String, FieldProvenance> provenance = new LinkedHashMap<>(meta.fields());
        provenance.entrySet().removeIf(field -> {
            final boolean theirs = removed.contains(field.getValue().sync());
            if (theirs) {
                fields.remove(field.getKey());
            }
            return theirs;
        });
        final Map<String, SyncPosition> positions = new LinkedHashMap<>(meta.syncs());
        positions.keySet().removeAll(removed);
        return result(key, current, meta, before, fields, keyValue, provenance, positions, now);
    }

    /** The ids of the syncs that feed this collection now. */
    public Set<String> syncIds() {
        return Set.copyOf(syncs.keySet());
    }

    /**
     * Every record lists the primary index first, then its fields in configuration order (sync by sync, mapping by
     * mapping), whatever order the syncs' changes arrived in. Fields no longer in the configuration come last.
     */
    private ObjectNode inConfigurationOrder(final ObjectNode fields, final JsonNode keyValue) {
        final ObjectNode ordered = MAPPER.createObjectNode();
        ordered.set(primaryIndex, keyValue);
        for (final String field : fieldOrder) {
            final JsonNode value = fields.remove(field);
            if (value != null) {
                ordered.set(field, value);
            }
        }
        ordered.setAll(fields);
        return ordered;
    }

    private Map<String, FieldProvenance> provenanceInOrder(final Map<String, FieldProvenance> provenance) {
        final Map<String, FieldProvenance> ordered = new LinkedHashMap<>();
        for (final String field : fieldOrder) {
            final FieldProvenance value = provenance.remove(field);
            if (value != null) {
                ordered.put(field, value);
            }
        }
        ordered.putAll(provenance);
        return ordered;
    }

    /**
     * The row's primary-key column keeps its JSON type (a number stays a number) when it spells the key. When syncs
     * disagree (one sends 12345, another "12345"), the number wins whatever the arrival order, so the type is stable.
     */
    private static boolean isKeyValue(final JsonNode value, final String key) {
        return value != null && value.isValueNode() && !value.isNull() && value.asText().equals(key);
    }

    /** The record of a stored value, or null when it holds none. */
    static ObjectNode body(final byte[] stored) {
        return stored != null && StoredRecord.isPresent(stored) ? readBody(stored) : null;
    }

    private static ObjectNode readBody(final byte[] stored) {
        try {
            return (ObjectNode) MAPPER.readTree(stored, StoredRecord.BODY_OFFSET, StoredRecord.bodyLength(stored));
        } catch (final IOException e) {
            throw new UncheckedIOException("corrupt stored record", e);
        }
    }

    private static byte[] write(final ObjectNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (final JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
