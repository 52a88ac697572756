package dev.persona.topology;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The value layout of the record store, chosen so that a lookup answers with a slice of the stored bytes:
 * <pre>
 *   byte    format (2)
 *   long    revision, grows whenever the record's JSON changes
 *   long    updatedAt, epoch milliseconds of the last applied change
 *   int     n, the length of the record's JSON; 0 when the record is absent
 *   n bytes the record's JSON, exactly as the API sends it
 *   rest    the {@link RecordMeta} as JSON, read only for writes and {@code ?meta=true}
 * </pre>
 * Revision and time sit in the fixed header so that an ETag costs no parsing.
 * An absent record is still stored when it must remember sync versions, so that a late, older change
 * cannot bring it back.
 */
public final class StoredRecord {
    /** Where the record's JSON starts. */
    public static final int BODY_OFFSET = 21;
    private static final byte FORMAT = 2;
    private static final ObjectMapper MAPPER = Json.mapper();

    private StoredRecord() {
    }

    /** Lays a record out. {@code body} is empty for an absent record. */
    public static byte[] encode(final byte[] body, final RecordMeta meta) {
        final byte[] metaBytes;
        try {
            metaBytes = MAPPER.writeValueAsBytes(meta);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return ByteBuffer.allocate(BODY_OFFSET + body.length + metaBytes.length)
                .put(FORMAT).putLong(meta.revision()).putLong(meta.updatedAt()).putInt(body.length).put(body).put(metaBytes).array();
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
            return MAPPER.readValue(stored, start, stored.length - start, RecordMeta.class);
        } catch (final IOException e) {
            throw new UncheckedIOException("corrupt record metadata", e);
        }
    }

    private static void checkFormat(final byte[] stored) {
        if (stored.length < BODY_OFFSET || stored[0] != FORMAT) {
            throw new IllegalArgumentException("not a Persona stored record (format byte " + (stored.length == 0 ? "missing" : stored[0]) + ")");
        }
    }
}
