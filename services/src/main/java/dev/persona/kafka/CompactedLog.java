package dev.persona.kafka;

import java.time.Duration;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * State that every instance holds whole (API keys, the run history): a log of changes by key, appended by any
 * instance and applied on every instance, this one included, in the log's order. {@link KafkaCompactedLog}: a
 * compacted topic of one partition that every instance reads from the beginning and then follows; {@link #inMemory}:
 * one process with no broker (a test of the HTTP layer), where a change applies as it is appended.
 */
public interface CompactedLog extends AutoCloseable {
    /** How long {@link #append} waits for the log to take a change, and for this instance to apply it. */
    Duration TIMEOUT = Duration.ofSeconds(30);

    /**
     * Appends {@code value} under {@code key} (null: removed) and returns once this instance has applied it.
     *
     * @throws IllegalStateException when the log did not take it within {@link #TIMEOUT}
     */
    void append(String key, byte[] value);

    /**
     * Appends {@code value} under {@code key} (null: removed) without waiting; {@code lost} hears of a change the log
     * did not take.
     */
    void send(String key, byte[] value, Consumer<Exception> lost);

    /** Waits until every change sent from here has been taken by the log. */
    void flush();

    /** Nanoseconds since this instance last knew it had applied every change: grows while it is cut off. */
    long nanosSinceCaughtUp();

    /** Why changes are not reaching this instance now, if they are not. */
    Optional<String> failure();

    @Override
    void close();

    /** A log held in this process only, applying each change with {@code apply} as it is appended. */
    static CompactedLog inMemory(final BiConsumer<String, byte[]> apply) {
        return new CompactedLog() {
            @Override
            public synchronized void append(final String key, final byte[] value) {
                apply.accept(key, value);
            }

            @Override
            public void send(final String key, final byte[] value, final Consumer<Exception> lost) {
                append(key, value);
            }

            @Override
            public void flush() {
            }

            @Override
            public long nanosSinceCaughtUp() {
                return 0;
            }

            @Override
            public Optional<String> failure() {
                return Optional.empty();
            }

            @Override
            public void close() {
            }
        };
    }
}
