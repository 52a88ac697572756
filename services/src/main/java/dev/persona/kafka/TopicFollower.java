package dev.persona.kafka;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Reads a single-partition (compacted) topic from the beginning, then follows it on a thread of its own, handing
 * every record to a callback. Committed records only. Used for state every instance must see (API keys, sync runs).
 * <p>
 * A failure while following (the callback throws, the consumer fails) does not end the thread: it is reported by
 * {@link #failure()} and logged, and the follower retries from the first record not yet handed over, with backoff
 * (1 s doubling to 30 s), until it gets past it.
 */
public final class TopicFollower implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TopicFollower.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration CONFIRM_EVERY = Duration.ofSeconds(1);

    private final TopicPartition partition;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Consumer<ConsumerRecord<String, byte[]>> apply;
    private final Thread thread;
    private volatile long position;
    private volatile boolean closed;
    private volatile String failure;
    /** When the follower last knew itself at the end of the topic (System.nanoTime()); see {@link #sinceCaughtUp()}. */
    private volatile long caughtUpAt = System.nanoTime();
    /** An end offset asked of the broker and when it was asked, not yet reached. */
    private long askedEnd = -1;
    private long askedAt;
    private long lastAsked;

    private TopicFollower(final String topic, final Map<String, Object> clientProperties, final Consumer<ConsumerRecord<String, byte[]>> apply) {
        this.partition = new TopicPartition(topic, 0);
        this.consumer = new KafkaConsumer<>(consumerProperties(clientProperties), new StringDeserializer(), new ByteArrayDeserializer());
        this.apply = apply;
        this.thread = new Thread(this::follow, "follow-" + topic);
        this.thread.setDaemon(true);
    }

    /** Reads everything the topic holds now, then follows it. Returns once the first part is done. */
    public static TopicFollower start(final String topic, final Map<String, Object> clientProperties,
                                      final Consumer<ConsumerRecord<String, byte[]>> apply) {
        final TopicFollower follower = new TopicFollower(topic, clientProperties, apply);
        follower.position = readToEnd(follower.consumer, follower.partition, apply);
        follower.thread.start();
        return follower;
    }

    /** Reads everything the topic holds now, once, without following. */
    public static void readAll(final String topic, final Map<String, Object> clientProperties, final Consumer<ConsumerRecord<String, byte[]>> apply) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerProperties(clientProperties),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            readToEnd(consumer, new TopicPartition(topic, 0), apply);
        }
    }

    /**
     * Waits until the record at {@code offset} has been handed to the callback.
     *
     * @throws IllegalStateException when that takes longer than {@code timeout}
     */
    public void awaitOffset(final long offset, final Duration timeout) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (position <= offset) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("offset " + offset + " of " + partition.topic() + " not read back within " + timeout.toSeconds() + "s");
            }
            try {
                TimeUnit.MILLISECONDS.sleep(5);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    private static Map<String, Object> consumerProperties(final Map<String, Object> clientProperties) {
        final Map<String, Object> props = new HashMap<>(clientProperties);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return props;
    }

    private static long readToEnd(final KafkaConsumer<String, byte[]> consumer, final TopicPartition partition,
                                  final Consumer<ConsumerRecord<String, byte[]>> apply) {
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        final long end = consumer.endOffsets(List.of(partition)).get(partition);
        while (consumer.position(partition) < end) {
            consumer.poll(POLL).forEach(apply);
        }
        return consumer.position(partition);
    }

    /**
     * How long since the follower last knew it had read everything the topic held: it asks the broker for the end of
     * the topic about once a second, and counts itself caught up, as of the time it asked, once it has read that far.
     * A follower cut off from Kafka sees no error, only empty polls: this grows instead.
     */
    public Duration sinceCaughtUp() {
        return Duration.ofNanos(nanosSinceCaughtUp());
    }

    /** {@link #sinceCaughtUp()} in nanoseconds. */
    public long nanosSinceCaughtUp() {
        return System.nanoTime() - caughtUpAt;
    }

    private void confirmCaughtUp() {
        final long now = System.nanoTime();
        if (askedEnd >= 0 && position >= askedEnd) {
            caughtUpAt = askedAt;
            askedEnd = -1;
        }
        if (askedEnd < 0 && now - lastAsked >= CONFIRM_EVERY.toNanos()) {
            lastAsked = now;
            try {
                final long end = consumer.endOffsets(List.of(partition), CONFIRM_EVERY).getOrDefault(partition, Long.MAX_VALUE);
                askedAt = now;
                askedEnd = end;
                if (position >= end) {
                    caughtUpAt = now;
                    askedEnd = -1;
                }
            } catch (final org.apache.kafka.common.errors.TimeoutException e) {
                // The broker did not answer: not caught up as far as anyone knows; asked again next time.
            }
        }
    }

    /** Why following is failing now (changes stop reaching this instance until it recovers); empty when it follows. */
    public Optional<String> failure() {
        return Optional.ofNullable(failure);
    }

    private void follow() {
        final Backoff backoff = Backoff.standard();
        try {
            while (!closed) {
                try {
                    for (final ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                        apply.accept(record);
                        position = record.offset() + 1;
                    }
                    position = consumer.position(partition);
                    confirmCaughtUp();
                    if (failure != null) {
                        LOG.info("Follower of {} recovered at offset {}", partition.topic(), position);
                        failure = null;
                    }
                    backoff.reset();
                } catch (final WakeupException e) {
                    if (!closed) {
                        LOG.warn("Follower of {} woken up unexpectedly; going on", partition.topic());
                    }
                } catch (final RuntimeException e) {
                    failure = "following " + partition.topic() + " failed at offset " + position + ": " + e;
                    LOG.error("Follower of {} failed at offset {}; retrying with backoff", partition.topic(), position, e);
                    backoff.pause(() -> closed);
                    seekQuietly();
                }
            }
        } finally {
            consumer.close();
        }
    }

    private void seekQuietly() {
        try {
            if (!closed) {
                consumer.seek(partition, position);
            }
        } catch (final RuntimeException e) {
            LOG.warn("Follower of {}: cannot seek back to offset {}", partition.topic(), position, e);
        }
    }

    @Override
    public void close() {
        closed = true;
        consumer.wakeup();
        try {
            thread.join(5_000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
