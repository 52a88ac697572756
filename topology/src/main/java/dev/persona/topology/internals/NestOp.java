package dev.persona.topology.internals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.topology.Json;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One child's change as its parent's array sees it, keyed by the parent on its way to {@link NestAggregator}: its
 * element put in the array, or taken out; or the parent's purge, which takes every child out.
 *
 * @param child   the child's primary key
 * @param remove  true to take the child out
 * @param element what the array shows of it (for a put)
 * @param order   the value elements are ordered by, or null
 * @param version the change's version, or null
 * @param ts      when it happened, epoch milliseconds
 * @param purge   true when the parent was purged: no child is named, all go, and leave no trace
 */
public record NestOp(String child, boolean remove, ObjectNode element, JsonNode order, Long version, long ts, boolean purge) {

    /** A child's change. */
    public NestOp(final String child, final boolean remove, final ObjectNode element, final JsonNode order, final Long version, final long ts) {
        this(child, remove, element, order, version, ts, false);
    }

    /** The purge of the parent the op is keyed by. */
    public static NestOp purgeOf(final long ts) {
        return new NestOp(null, true, null, null, null, ts, true);
    }

    /** JSON on the repartition topic. */
    public static Serde<NestOp> serde() {
        return Serdes.serdeFrom((topic, op) -> {
            try {
                return op == null ? null : Json.mapper().writeValueAsBytes(op);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }, (topic, bytes) -> {
            try {
                return bytes == null ? null : Json.mapper().readValue(bytes, NestOp.class);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
