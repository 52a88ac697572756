package dev.persona.topology.internals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.config.SyncConfig;
import dev.persona.topology.ChangeRow;
import dev.persona.topology.Json;
import dev.persona.topology.Purges;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Keeps every child of each parent of a nested sync (a changelogged store, parent key -> {@code {"v": version,
 * "c": {child: {"o": order, "v": version, "e": element}}}}) and, on each change, hands the merge the parent's array:
 * the elements ordered by {@code orderBy} (nulls last, then by child key), at most {@code limit}; or, when no child is
 * left, a delete that clears the array. A child's change older (by version) than the one it holds is ignored. A
 * purge of the parent forgets its children and tombstones their rows (see {@link #purge}).
 *
 * <p>The array's version, which {@code _meta} shows and the merge compares, is the highest version of any child row
 * that built it. Children's rows arrive in no order between them, so a child's own version may be lower than one its
 * sibling brought; the array's version never goes back, and it is kept when the last child leaves, or the next child
 * (with a lower version of its own) would be ignored by the merge as older than the array's removal.
 *
 * <p>A parent keeps at most {@link #spare} children beyond its {@code limit}, and never more bytes than a record may
 * take: the lowest-ranked go first, since they are the last the array would show. Unbounded, a parent with a hundred
 * thousand children would make a changelog record Kafka refuses, and the stream thread would fail on it again and again.
 */
public final class NestAggregator implements Processor<String, NestOp, String, SyncChange> {
    private static final ObjectMapper MAPPER = Json.mapper();

    private final String storeName;
    private final SyncConfig sync;
    private final SyncConfig.Nest nest;
    private final int maxBytes;
    private KeyValueStore<String, byte[]> children;
    private ProcessorContext<String, SyncChange> context;

    public NestAggregator(final String storeName, final SyncConfig sync, final int maxBytes) {
        this.storeName = storeName;
        this.sync = sync;
        this.nest = sync.nest().orElseThrow();
        this.maxBytes = maxBytes;
    }

    /** Children kept beyond the limit, so that one leaving is replaced: as many again as the limit, at least 100. */
    static int spare(final int limit) {
        return Math.max(limit, 100);
    }

    @Override
    public void init(final ProcessorContext<String, SyncChange> context) {
        this.context = context;
        children = context.getStateStore(storeName);
    }

    @Override
    public void process(final Record<String, NestOp> record) {
        final NestOp op = record.value();
        if (op.purge()) {
            purge(record);
            return;
        }
        final byte[] stored = children.get(record.key());
        final ObjectNode parent = read(stored);
        final ObjectNode held = (ObjectNode) parent.get("c");
        final JsonNode current = held.get(op.child());
        if (current != null && op.version() != null && current.path("v").canConvertToLong() && current.path("v").asLong() > op.version()) {
            return;
        }
        if (op.remove()) {
            if (current == null) {
                if (stored == null) {
                    // A parent with nothing held, most often purged: its source deleting a child it still held says so,
                    // and that delete releases the sync from the purge list, or a new child of the parent would stay out.
                    context.forward(new Record<>(record.key(), new SyncChange(sync.id(), ChangeRow.Op.DELETE, MAPPER.createObjectNode(), null,
                            op.version(), op.ts(), false, null), record.timestamp()));
                }
                return;
            }
            held.remove(op.child());
        } else {
            final ObjectNode entry = held.putObject(op.child());
            entry.set("o", op.order());
            if (op.version() != null) {
                entry.put("v", op.version());
            }
            entry.set("e", op.element());
        }
        final Long version = arrayVersion(parent, op.version());
        if (held.isEmpty()) {
            if (version == null) {
                children.delete(record.key());
            } else {
                children.put(record.key(), write(parent));
            }
            context.forward(new Record<>(record.key(), new SyncChange(sync.id(), ChangeRow.Op.DELETE, MAPPER.createObjectNode(), null, version,
                    op.ts(), false, null), record.timestamp()));
            return;
        }
        final List<Map.Entry<String, JsonNode>> ranked = ranked(held);
        for (int i = ranked.size() - 1; i >= nest.limit() + spare(nest.limit()); i--) {
            held.remove(ranked.get(i).getKey());
        }
        byte[] bytes = write(parent);
        for (int i = Math.min(ranked.size(), nest.limit() + spare(nest.limit())) - 1; bytes.length + record.key().length() > maxBytes && i > 0; i--) {
            held.remove(ranked.get(i).getKey());
            bytes = write(parent);
        }
        children.put(record.key(), bytes);
        final ObjectNode fields = MAPPER.createObjectNode();
        fields.set(nest.into(), array(held));
        context.forward(new Record<>(record.key(), new SyncChange(sync.id(), ChangeRow.Op.UPSERT, fields, null, version, op.ts(), false, null),
                record.timestamp()));
    }

    /**
     * Forgets a purged parent's children, and forwards, keyed by each child, a tombstone marked {@link Purges#HEADER}
     * (a null value) for the sync's topic: compaction then removes the children's rows, which carry the parent's data.
     * The merge removes the record itself.
     */
    private void purge(final Record<String, NestOp> record) {
        final byte[] bytes = children.get(record.key());
        if (bytes == null) {
            return;
        }
        children.delete(record.key());
        final Iterator<String> held = read(bytes).get("c").fieldNames();
        while (held.hasNext()) {
            final RecordHeaders headers = new RecordHeaders();
            headers.add(Purges.HEADER, new byte[] {1});
            context.forward(new Record<String, SyncChange>(held.next(), null, record.timestamp(), headers));
        }
    }

    /** The array's version after a child's change: the highest it has seen, kept in the parent's entry. */
    private static Long arrayVersion(final ObjectNode parent, final Long childVersion) {
        final JsonNode held = parent.get("v");
        final Long before = held != null && held.canConvertToLong() ? held.asLong() : null;
        if (childVersion == null || before != null && before >= childVersion) {
            return before;
        }
        parent.put("v", childVersion);
        return childVersion;
    }

    /** The parent's array: ordered, limited. */
    private ArrayNode array(final ObjectNode held) {
        final List<Map.Entry<String, JsonNode>> entries = ranked(held);
        final ArrayNode array = MAPPER.createArrayNode();
        for (int i = 0; i < entries.size() && i < nest.limit(); i++) {
            array.add(entries.get(i).getValue().get("e"));
        }
        return array;
    }

    /** Every child held, in the array's order. */
    private List<Map.Entry<String, JsonNode>> ranked(final ObjectNode held) {
        final List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
        final Iterator<Map.Entry<String, JsonNode>> it = held.fields();
        it.forEachRemaining(entries::add);
        Comparator<Map.Entry<String, JsonNode>> byOrder = (a, b) -> compare(a.getValue().get("o"), b.getValue().get("o"));
        if (nest.descending()) {
            byOrder = byOrder.reversed();
        }
        // Nulls last whatever the direction; then the child key, so that equal values keep one order.
        final Comparator<Map.Entry<String, JsonNode>> order = Comparator.<Map.Entry<String, JsonNode>, Boolean>comparing(e -> isNull(e.getValue().get("o")))
                .thenComparing(byOrder).thenComparing(Map.Entry::getKey);
        entries.sort(order);
        return entries;
    }

    private static boolean isNull(final JsonNode value) {
        return value == null || value.isNull() || value.isMissingNode();
    }

    /** Numbers by value, anything else by its text (ISO-8601 times sort as text). */
    static int compare(final JsonNode a, final JsonNode b) {
        if (isNull(a) || isNull(b)) {
            return 0;
        }
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue());
        }
        return a.asText().compareTo(b.asText());
    }

    /** A parent's entry: {@code {"v": version, "c": children}}, either possibly absent. */
    private static ObjectNode read(final byte[] bytes) {
        if (bytes == null) {
            final ObjectNode parent = MAPPER.createObjectNode();
            parent.putObject("c");
            return parent;
        }
        try {
            final ObjectNode read = (ObjectNode) MAPPER.readTree(bytes);
            if (isVersioned(read)) {
                return read;
            }
            // Written before arrays had a version: the children at the top level.
            final ObjectNode parent = MAPPER.createObjectNode();
            parent.set("c", read);
            return parent;
        } catch (final IOException e) {
            throw new UncheckedIOException("corrupt nested children", e);
        }
    }

    /** Whether an entry is {@code {"v": version, "c": children}}: every child an object with its element. */
    private static boolean isVersioned(final ObjectNode entry) {
        final JsonNode children = entry.get("c");
        if (!(children instanceof ObjectNode) || entry.size() > 2 || entry.size() == 2 && !entry.path("v").isNumber()) {
            return false;
        }
        final Iterator<JsonNode> each = children.elements();
        while (each.hasNext()) {
            final JsonNode child = each.next();
            if (!child.isObject() || !child.has("e")) {
                return false;
            }
        }
        return true;
    }

    private static byte[] write(final ObjectNode parent) {
        try {
            return MAPPER.writeValueAsBytes(parent);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
