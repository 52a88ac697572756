package dev.persona.routing;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bytes of a batch call between instances ({@link PeerClient#RAW_BATCH_PATH}), binary so that neither side builds
 * JSON or base64 for stored values it only passes on. A call: a flags byte (bit 0: read standby copies), the number of
 * keys (int), then each key as its UTF-8 length (int) and bytes. An answer: the same number, then for each key in the
 * order asked a kind byte ({@link #FOUND}, {@link #FOUND_STALE} with the copy's offset lag as a long,
 * {@link #ABSENT}, {@link #UNAVAILABLE}) and, for a found key, the stored value's length (int) and bytes. Ints and
 * longs are big-endian.
 */
public final class PeerWire {
    /** The media type of both directions. */
    public static final String MEDIA_TYPE = "application/x-persona-batch";
    static final byte FOUND = 0;
    static final byte FOUND_STALE = 1;
    static final byte ABSENT = 2;
    static final byte UNAVAILABLE = 3;
    private static final byte STANDBY = 1;

    private PeerWire() {
    }

    /**
     * What a call asks: these keys, read as {@code hop} says ({@link Hop#FORWARDED}: the active copies only;
     * {@link Hop#FORWARDED_TO_STANDBY}: standby copies too).
     */
    public record Ask(List<String> keys, Hop hop) {
    }

    /** What a key stands for when {@code peer} gave no usable answer for it. */
    static StoredValue.Unavailable unanswered(final Object peer) {
        return new StoredValue.Unavailable(UnavailableReason.OWNER_UNREACHABLE, peer + " could not answer");
    }

    /**
     * The bytes of a call for {@code keys}, to be read as {@code hop} says.
     *
     * @throws IllegalArgumentException for a hop that is not one between instances
     */
    public static byte[] ask(final List<String> keys, final Hop hop) {
        if (!hop.forwarded()) {
            throw new IllegalArgumentException("a call between instances is forwarded, not " + hop);
        }
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream(8 + keys.size() * 16);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(hop == Hop.FORWARDED_TO_STANDBY ? STANDBY : 0);
            out.writeInt(keys.size());
            for (final String key : keys) {
                final byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
                out.writeInt(utf8.length);
                out.write(utf8);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * The call {@code body} holds, of at most {@code limit} keys.
     *
     * @throws IllegalArgumentException naming what is wrong with a body that is not such a call
     */
    public static Ask readAsk(final byte[] body, final int limit) {
        final ByteBuffer in = ByteBuffer.wrap(body);
        try {
            final Hop hop = (in.get() & STANDBY) != 0 ? Hop.FORWARDED_TO_STANDBY : Hop.FORWARDED;
            final int count = in.getInt();
            if (count < 0 || count > limit) {
                throw new IllegalArgumentException("a batch call carries 0 to " + limit + " keys, not " + count);
            }
            final List<String> keys = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                final int length = in.getInt();
                if (length < 0 || length > in.remaining()) {
                    throw new IllegalArgumentException("key " + i + " claims " + length + " bytes; " + in.remaining() + " remain");
                }
                keys.add(new String(body, in.position(), length, StandardCharsets.UTF_8));
                in.position(in.position() + length);
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException(in.remaining() + " bytes follow the last key");
            }
            return new Ask(keys, hop);
        } catch (final BufferUnderflowException e) {
            throw new IllegalArgumentException("the body ends inside a batch call");
        }
    }

    /** The bytes of the answer to a call for {@code keys}: what {@code values} holds of each (unavailable when nothing). */
    public static byte[] answer(final List<String> keys, final Map<String, StoredValue> values) {
        int size = 4;
        for (final String key : keys) {
            size += 13 + (values.get(key) instanceof StoredValue.Found found ? found.stored().length : 0);
        }
        final ByteBuffer out = ByteBuffer.allocate(size);
        out.putInt(keys.size());
        for (final String key : keys) {
            final StoredValue value = values.get(key);
            if (value instanceof StoredValue.Found found) {
                out.put(found.stale() ? FOUND_STALE : FOUND);
                if (found.stale()) {
                    out.putLong(found.lag());
                }
                out.putInt(found.stored().length);
                out.put(found.stored());
            } else if (value instanceof StoredValue.Absent) {
                out.put(ABSENT);
            } else {
                out.put(UNAVAILABLE);
            }
        }
        return java.util.Arrays.copyOf(out.array(), out.position());
    }

    /**
     * What the answer {@code body} of {@code peer} says of each of {@code keys}, the keys it was asked for.
     *
     * @throws IllegalArgumentException when the body is not an answer to that many keys
     */
    public static Map<String, StoredValue> readAnswer(final byte[] body, final List<String> keys, final Object peer) {
        final ByteBuffer in = ByteBuffer.wrap(body);
        try {
            final int count = in.getInt();
            if (count != keys.size()) {
                throw new IllegalArgumentException("an answer for " + count + " keys to a call for " + keys.size());
            }
            final Map<String, StoredValue> values = new LinkedHashMap<>(keys.size() * 2);
            final StoredValue unanswered = unanswered(peer);
            for (final String key : keys) {
                final byte kind = in.get();
                if (kind == ABSENT) {
                    values.put(key, StoredValue.ABSENT);
                } else if (kind == UNAVAILABLE) {
                    values.put(key, unanswered);
                } else if (kind == FOUND || kind == FOUND_STALE) {
                    final long lag = kind == FOUND_STALE ? in.getLong() : 0;
                    final byte[] stored = new byte[in.getInt()];
                    in.get(stored);
                    values.put(key, new StoredValue.Found(stored, kind == FOUND_STALE, lag));
                } else {
                    throw new IllegalArgumentException("unknown kind " + kind);
                }
            }
            return values;
        } catch (final BufferUnderflowException | NegativeArraySizeException e) {
            throw new IllegalArgumentException("the answer ends early");
        }
    }
}
