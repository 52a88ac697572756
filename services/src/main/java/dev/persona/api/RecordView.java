package dev.persona.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.topology.Json;
import dev.persona.topology.RecordMeta;
import dev.persona.topology.StoredRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Turns a stored value into response JSON. The plain case is a slice of the stored bytes; projection
 * ({@code ?fields=}) and {@code ?meta=true} parse it.
 */
final class RecordView {
    private static final ObjectMapper MAPPER = Json.mapper();

    private RecordView() {
    }

    /**
     * The options of a lookup that shape its answer.
     *
     * @param fields    the only fields to show, when {@code projected}
     * @param meta      whether to add {@code _meta}
     * @param projected whether only {@code fields} are shown (possibly none of the record's)
     */
    record Shape(List<String> fields, boolean meta, boolean projected) {
        static final Shape PLAIN = new Shape(List.of(), false, false);

        Shape(final List<String> fields, final boolean meta) {
            this(fields, meta, !fields.isEmpty());
        }

        boolean isPlain() {
            return !projected && !meta;
        }

        /** This shape, showing nothing outside {@code allowed}. */
        Shape allowOnly(final List<String> allowed) {
            final List<String> kept = projected ? fields.stream().filter(allowed::contains).toList() : allowed;
            return new Shape(List.copyOf(kept), meta, true);
        }

        /** Whether a field of the record is shown. */
        boolean shows(final String field) {
            return !projected || fields.contains(field);
        }
    }

    /** The record JSON for this shape, as bytes. */
    static byte[] render(final byte[] stored, final Shape shape, final long now) {
        return render(stored, shape, now, Map.of(), null);
    }

    /**
     * The record JSON for this shape, as bytes.
     *
     * @param indexConflicts for {@code _meta.indexConflicts}: index values other records claim too
     * @param found          how it was read, for {@code _meta.stale} and {@code _meta.lag}; may be null
     */
    static byte[] render(final byte[] stored, final Shape shape, final long now, final Map<String, Object> indexConflicts,
                         final dev.persona.routing.StoredValue.Found found) {
        if (shape.isPlain()) {
            return StoredRecord.body(stored);
        }
        final ObjectNode record = parse(stored);
        if (shape.projected()) {
            record.retain(shape.fields());
        }
        if (shape.meta()) {
            final ObjectNode meta = meta(stored, now, shape);
            final Map<String, Object> shownConflicts = new java.util.LinkedHashMap<>();
            indexConflicts.forEach((index, conflict) -> {
                if (shape.shows(index)) {
                    shownConflicts.put(index, conflict);
                }
            });
            if (!shownConflicts.isEmpty()) {
                meta.set("indexConflicts", MAPPER.valueToTree(shownConflicts));
            }
            meta.put("stale", found != null && found.stale());
            if (found != null && found.stale()) {
                meta.put("lag", found.lag());
            }
            record.set("_meta", meta);
        }
        try {
            return MAPPER.writeValueAsBytes(record);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The record as a tree. */
    static ObjectNode parse(final byte[] stored) {
        try {
            return (ObjectNode) MAPPER.readTree(stored, StoredRecord.BODY_OFFSET, StoredRecord.bodyLength(stored));
        } catch (final IOException e) {
            throw new UncheckedIOException("corrupt stored record", e);
        }
    }

    /** The ETag of the plain or projected record: revision and update time, and the projection. */
    static String etag(final byte[] stored, final Shape shape) {
        final String base = StoredRecord.revision(stored) + "." + Long.toString(StoredRecord.updatedAt(stored), 36);
        return "\"" + (shape.projected() ? base + "-" + Integer.toHexString(shape.fields().hashCode()) : base) + "\"";
    }

    /** The record's {@code _meta}: field provenance only of the fields the shape shows. */
    private static ObjectNode meta(final byte[] stored, final long now, final Shape shape) {
        final RecordMeta meta = StoredRecord.meta(stored);
        final ObjectNode node = MAPPER.createObjectNode();
        node.put("revision", meta.revision());
        node.put("updatedAt", Instant.ofEpochMilli(meta.updatedAt()).toString());
        node.put("ageMs", Math.max(0, now - meta.updatedAt()));
        final ObjectNode fields = node.putObject("fields");
        for (final Map.Entry<String, RecordMeta.FieldProvenance> field : meta.fields().entrySet()) {
            if (!shape.shows(field.getKey())) {
                continue;
            }
            final ObjectNode f = fields.putObject(field.getKey());
            f.put("sync", field.getValue().sync());
            if (field.getValue().version() == null) {
                f.putNull("version");
            } else {
                f.put("version", field.getValue().version());
            }
            f.put("updatedAt", Instant.ofEpochMilli(field.getValue().updatedAt()).toString());
        }
        return node;
    }
}
