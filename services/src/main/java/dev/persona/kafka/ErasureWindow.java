package dev.persona.kafka;

import java.time.Duration;
import java.util.Map;

/**
 * How long a purged person's rows may stay in Persona's Kafka topics ({@code kafka.erasureWindow}), and the topic
 * settings that keep that promise. Kafka removes a key's older rows only from segments that are no longer active,
 * in a cleaner pass, and a tombstone (which still holds the key) only in a pass at least {@code delete.retention.ms}
 * after the pass that kept it; a segment is rolled only when something is appended to it after {@code segment.ms}.
 * So, with w the window:
 * <ul>
 *   <li>{@code segment.ms} = w/8, and {@link ErasureTicker} appends a marker to every partition every w/16: the segment
 *       holding a purge's tombstone stops being active within w/8 + w/16;</li>
 *   <li>{@code max.compaction.lag.ms} = w/4: a row that a later tombstone makes obsolete is cleaned within w/4 of
 *       being written, once its segment is rolled: the person's data is gone within about w/2 of the purge;</li>
 *   <li>{@code delete.retention.ms} = w/4: the tombstones, which hold only the key, go in a later pass, within w.</li>
 * </ul>
 * The broker's cleaner looks every {@code log.cleaner.backoff.ms} (15 s by default) on top.
 *
 * @param window the promise
 */
public record ErasureWindow(Duration window) {

    /** The topic settings of every topic that holds rows: sync topics, changelogs, dead letters, run samples. */
    public Map<String, String> topicConfigs() {
        return Map.of(
                "segment.ms", Long.toString(window.toMillis() / 8),
                "max.compaction.lag.ms", Long.toString(window.toMillis() / 4),
                "delete.retention.ms", Long.toString(deleteRetention().toMillis()),
                "min.compaction.lag.ms", "0");
    }

    /**
     * How long a tombstone stays: a copy of a store (a standby, or an instance's local state) that was away longer
     * may have missed a deletion, and is rebuilt from the changelog instead ({@link StaleLocalState}).
     */
    public Duration deleteRetention() {
        return window.dividedBy(4);
    }

    /** How often every partition of those topics gets a marker, so that a quiet partition's segment still rolls. */
    public Duration nudgeInterval() {
        return window.dividedBy(16);
    }
}
