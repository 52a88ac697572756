package dev.persona.topology;

import dev.persona.topology.internals.SyncChange;
import org.apache.kafka.common.header.Headers;

/**
 * Rows a resync of a topic sync reads again from the topic's start ({@link TopicNames#replay}). They carry
 * {@link #HEADER}, which Kafka Streams keeps through repartitioning; the merge applies such a row only when no later
 * change of its sync has reached the record, by time, since rows of other teams' topics seldom carry versions.
 */
public final class Replays {
    /** Marks a row copied by a resync. */
    public static final String HEADER = "persona.replay";

    private Replays() {
    }

    /** {@code change}, marked replayed when its record carried {@link #HEADER}. */
    public static SyncChange mark(final SyncChange change, final Headers headers) {
        if (headers == null || headers.lastHeader(HEADER) == null) {
            return change;
        }
        return new SyncChange(change.sync(), change.op(), change.fields(), change.keyValue(), change.version(), change.ts(), true);
    }
}
