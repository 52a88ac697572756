package dev.persona.topology;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The value layout of the record store, chosen so that a lookup answers with a slice of the stored bytes:
 * <pre>
 *   byte    format (3)
 *   long    revision, grows whenever the record's JSON changes
 *   long    updatedAt, epoch milliseconds of the last applied change
 *   int     n, the length of the record's JSON; 0 when the record is absent
 *   n bytes the record's JSON, exactly as the API sends it
 *   rest    the rest of the {@link RecordMeta}, read only for writes and {@code ?meta=true}:
 *           int p, then p provenances (sync, version, updatedAt);
 *           int f, then f fields (name, index of its provenance);
 *           int s, then s sync positions (sync, version, updatedAt)
 * </pre>
 * Revision and time sit in the fixed header so that an ETag costs no parsing. Strings are modified UTF-8 with a
 * length prefix ({@link DataOutput#writeUTF}); a version is a presence byte and, when present, a long. The fields
 * of one change share one provenance, so a record's metadata is a few bytes per field: it is written to the
 * changelog with every change. Format 2, whose metadata was JSON, is still read.
 * An absent record is still stored when it must remember sync versions, so that a late, older change
 * cannot bring it back.
 */
public final class StoredRecord {
    /** Where the record's JSON starts. */
    public static final int BODY_OFFSET = 21;
    private static final byte FORMAT = 3;
    private static final byte JSON_META_FORMAT = 2;
    private static final ObjectMapper MAPPER = Json.mapper();

    private StoredRecord() {
    }

    /** Lays a record out. {@code body} is empty for an absent record. */
    public static byte[] encode(final byte[] body, final RecordMeta meta) {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream(BODY_OFFSET + body.length + 32 * (meta.fields().size() + 4));
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeLong(meta.revision());
            out.writeLong(meta.updatedAt());
            out.writeInt(body.length);
            out.write(body);
            // Numbered in order of first use, which is the order they are written in.
            final Map<RecordMeta.FieldProvenance, Integer> provenances = new LinkedHashMap<>();
            for (final RecordMeta.FieldProvenance provenance : meta.fields().values()) {
                provenances.putIfAbsent(provenance, provenances.size());
            }
            out.writeInt(provenances.size());
            for (final RecordMeta.FieldProvenance provenance : provenances.keySet()) {
                writePosition(out, provenance.sync(), provenance.version(), provenance.updatedAt());
            }
            out.writeInt(meta.fields().size());
            for (final Map.Entry<String, RecordMeta.FieldProvenance> field : meta.fields().entrySet()) {
                out.writeUTF(field.getKey());
                out.writeInt(provenances.get(field.getValue()));
            }
            out.writeInt(meta.syncs().size());
            for (final Map.Entry<String, RecordMeta.SyncPosition> sync : meta.syncs().entrySet()) {
                writePosition(out, sync.getKey(), sync.getValue().version(), sync.getValue().updatedAt());
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Whether the stored value is a record a lookup should find. */
    public static boolean isPresent(final byte[] stored) {
        return stored != null && bodyLength(stored) > 0;
    }

    /** The length of the record's JSON, which starts at {@link #BODY_OFFSET}. */
    public static int bodyLength(final byte[] stored) {
        checkFormat(stored);
        return ByteBuffer.wrap(stored).getInt(17);
    }

    /** The record's revision, without parsing. */
    public static long revision(final byte[] stored) {
        checkFormat(stored);
        return ByteBuffer.wrap(stored).getLong(1);
    }

    /** When the record last changed, epoch milliseconds, without parsing. */
    public static long updatedAt(final byte[] stored) {
        checkFormat(stored);
        return ByteBuffer.wrap(stored).getLong(9);
    }

    /** A copy of the record's JSON. */
    public static byte[] body(final byte[] stored) {
        return Arrays.copyOfRange(stored, BODY_OFFSET, BODY_OFFSET + bodyLength(stored));
    }

    /** The record's metadata. */
    public static RecordMeta meta(final byte[] stored) {
        final int start = BODY_OFFSET + bodyLength(stored);
        try {
            if (stored[0] == JSON_META_FORMAT) {
                return MAPPER.readValue(stored, start, stored.length - start, RecordMeta.class);
            }
            final DataInputStream in = new DataInputStream(new ByteArrayInputStream(stored, start, stored.length - start));
            final RecordMeta.FieldProvenance[] provenances = new RecordMeta.FieldProvenance[in.readInt()];
            for (int i = 0; i < provenances.length; i++) {
                provenances[i] = new RecordMeta.FieldProvenance(in.readUTF(), readVersion(in), in.readLong());
            }
            final int fieldCount = in.readInt();
            final Map<String, RecordMeta.FieldProvenance> fields = new LinkedHashMap<>();
            for (int i = 0; i < fieldCount; i++) {
                fields.put(in.readUTF(), provenances[in.readInt()]);
            }
            final int syncCount = in.readInt();
            final Map<String, RecordMeta.SyncPosition> syncs = new LinkedHashMap<>();
            for (int i = 0; i < syncCount; i++) {
                syncs.put(in.readUTF(), new RecordMeta.SyncPosition(readVersion(in), in.readLong()));
            }
            return new RecordMeta(revision(stored), updatedAt(stored), fields, syncs);
        } catch (final IOException | RuntimeException e) {
            throw new IllegalStateException("corrupt record metadata: " + e.getMessage(), e);
        }
    }

    private static void writePosition(final DataOutputStream out, final String sync, final Long version, final long updatedAt) throws IOException {
        out.writeUTF(sync);
        out.writeBoolean(version != null);
        if (version != null) {
            out.writeLong(version);
        }
        out.writeLong(updatedAt);
    }

    private static Long readVersion(final DataInputStream in) throws IOException {
        return in.readBoolean() ? in.readLong() : null;
    }

    private static void checkFormat(final byte[] stored) {
        if (stored.length < BODY_OFFSET || stored[0] != FORMAT && stored[0] != JSON_META_FORMAT) {
            throw new IllegalArgumentException("not a Persona stored record (format byte " + (stored.length == 0 ? "missing" : stored[0]) + ")");
        }
    }
}
