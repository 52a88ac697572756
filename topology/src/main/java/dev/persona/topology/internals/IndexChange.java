package dev.persona.topology.internals;

import dev.persona.topology.Json;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A record claiming or letting go of an index value; keyed by {@code IndexEntry.key(index, value)} on its way
 * to the index store.
 *
 * @param key   the record's primary key
 * @param claim true to claim, false to let go
 * @param ts    when the record changed, epoch milliseconds
 */
public record IndexChange(String key, boolean claim, long ts) {

    /** Record {@code key} took the value, at {@code ts}. */
    public static IndexChange claim(final String key, final long ts) {
        return new IndexChange(key, true, ts);
    }

    /** Record {@code key} let go of the value (changed it, lost it, expired or was purged), at {@code ts}. */
    public static IndexChange release(final String key, final long ts) {
        return new IndexChange(key, false, ts);
    }

    /** JSON on the repartition topic. */
    public static Serde<IndexChange> serde() {
        return Serdes.serdeFrom((topic, change) -> {
            try {
                return change == null ? null : Json.mapper().writeValueAsBytes(change);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }, (topic, bytes) -> {
            try {
                return bytes == null ? null : Json.mapper().readValue(bytes, IndexChange.class);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
