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

    /**
     * {@code change} as its record's headers qualify it: replayed when they carry {@link #HEADER}, of the run
     * {@link RunSamples#RUN_HEADER} names.
     */
    public static SyncChange mark(final SyncChange change, final Headers headers) {
        if (headers == null) {
            return change;
        }
        final boolean replayed = headers.lastHeader(HEADER) != null;
        final org.apache.kafka.common.header.Header run = headers.lastHeader(RunSamples.RUN_HEADER);
        if (!replayed && run == null) {
            return change;
        }
        return new SyncChange(change.sync(), change.op(), change.fields(), change.keyValue(), change.version(), change.ts(), replayed,
                run == null ? null : new String(run.value(), java.nio.charset.StandardCharsets.UTF_8));
    }
}
