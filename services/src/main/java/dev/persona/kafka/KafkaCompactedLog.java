package dev.persona.kafka;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A {@link CompactedLog} in a compacted topic of one partition, written by an idempotent producer and followed by a
 * {@link TopicFollower}, so that a change made on one instance is seen by all of them within a poll (about 100 ms).
 */
public final class KafkaCompactedLog implements CompactedLog {
    private final String topic;
    private final KafkaProducer<String, byte[]> producer;
    private final TopicFollower follower;

    /** Reads every change in {@code topic} with {@code apply}, then follows it. */
    public KafkaCompactedLog(final String topic, final Map<String, Object> clientProperties, final BiConsumer<String, byte[]> apply) {
        this.topic = topic;
        final Map<String, Object> producerProps = new HashMap<>(clientProperties);
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer());
        this.follower = TopicFollower.start(topic, clientProperties, record -> apply.accept(record.key(), record.value()));
    }

    @Override
    public void append(final String key, final byte[] value) {
        try {
            final long offset = producer.send(new ProducerRecord<>(topic, 0, key, value)).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).offset();
            follower.awaitOffset(offset, TIMEOUT);
        } catch (final ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot write to " + topic + ": " + e.getMessage(), e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing to " + topic, e);
        }
    }

    @Override
    public void send(final String key, final byte[] value, final Consumer<Exception> lost) {
        producer.send(new ProducerRecord<>(topic, 0, key, value), (metadata, error) -> {
            if (error != null) {
                lost.accept(error);
            }
        });
    }

    @Override
    public void flush() {
        producer.flush();
    }

    @Override
    public long nanosSinceCaughtUp() {
        return follower.nanosSinceCaughtUp();
    }

    @Override
    public Optional<String> failure() {
        return follower.failure();
    }

    @Override
    public void close() {
        follower.close();
        producer.close(Duration.ofSeconds(5));
    }
}
