package dev.persona.topology;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The value layout of the record store, chosen so that a lookup answers with a slice of the stored bytes:
 * <pre>
 *   byte    format (1)
 *   int     n, the length of the record's JSON; 0 when the record is absent
 *   n bytes the record's JSON, exactly as the API sends it
 *   rest    the {@link RecordMeta} as JSON, read only for writes and {@code ?meta=true}
 * </pre>
 * An absent record is still stored when it must remember sync versions, so that a late, older change
 * cannot bring it back.
 */
public final class StoredRecord {
    /** Where the record's JSON starts. */
    public static final int BODY_OFFSET = 5;
    private static final byte FORMAT = 1;
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
                .put(FORMAT).putInt(body.length).put(body).put(metaBytes).array();
    }

    /** Whether the stored value is a record a lookup should find. */
    public static boolean isPresent(final byte[] stored) {
        return stored != null && bodyLength(stored) > 0;
    }

    /** The length of the record's JSON, which starts at {@link #BODY_OFFSET}. */
    public static int bodyLength(final byte[] stored) {
        checkFormat(stored);
        return ((stored[1] & 0xff) << 24) | ((stored[2] & 0xff) << 16) | ((stored[3] & 0xff) << 8) | (stored[4] & 0xff);
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
