package dev.persona.runtime;

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
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Reads a single-partition (compacted) topic from the beginning, then follows it on a thread of its own, handing
 * every record to a callback. Committed records only. Used for state every instance must see (API keys, sync runs).
 */
public final class TopicFollower implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TopicFollower.class);
    private static final Duration POLL = Duration.ofMillis(100);

    private final TopicPartition partition;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Consumer<ConsumerRecord<String, byte[]>> apply;
    private final Thread thread;
    private volatile long position;
    private volatile boolean closed;

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

    private void follow() {
        try {
            while (!closed) {
                consumer.poll(POLL).forEach(apply);
                position = consumer.position(partition);
            }
        } catch (final WakeupException e) {
            if (!closed) {
                LOG.error("Follower of {} woken up unexpectedly", partition.topic(), e);
            }
        } catch (final RuntimeException e) {
            LOG.error("Follower of {} stopped: changes no longer reach this instance", partition.topic(), e);
        } finally {
            consumer.close();
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
