package dev.persona.topology;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Writes change rows in the envelope of the change-row contract:
 * {@code {"op": "upsert"|"delete", "row": {...}, "version": n, "ts": n}}. The key travels as the Kafka key,
 * a UTF-8 string. A delete with nothing but its key is written as a tombstone (null). Read them back with
 * {@link ChangeRowParser#envelope(String)}.
 */
public final class ChangeRowEnvelope {
    private static final ObjectMapper MAPPER = Json.mapper();

    private ChangeRowEnvelope() {
    }

    /** The envelope bytes of a change row, or null for a bare delete. */
    public static byte[] toBytes(final ChangeRow row) {
        if (row.op() == ChangeRow.Op.DELETE && row.row() == null && row.version() == null && row.ts() == null) {
            return null;
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator json = MAPPER.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("op", row.op().wireName());
            if (row.row() != null) {
                json.writeFieldName("row");
                MAPPER.writeTree(json, row.row());
            }
            if (row.version() != null) {
                json.writeNumberField("version", row.version());
            }
            if (row.ts() != null) {
                json.writeNumberField("ts", row.ts());
            }
            json.writeEndObject();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A Kafka serializer of change-row values, for producers. */
    public static Serializer<ChangeRow> serializer() {
        return (topic, row) -> row == null ? null : toBytes(row);
    }
}
