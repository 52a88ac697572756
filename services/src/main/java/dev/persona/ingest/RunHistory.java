package dev.persona.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.persona.kafka.TopicFollower;
import dev.persona.topology.Json;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The runs of every sync, in a compacted topic that every instance follows, so any instance can show them.
 * Keeps the newest {@value #KEPT} runs per sync; older ones are removed from the topic too.
 */
public final class RunHistory implements AutoCloseable {
    static final int KEPT = 100;
    private static final Logger LOG = LoggerFactory.getLogger(RunHistory.class);
    private static final ObjectMapper MAPPER = Json.mapper();

    private final String topic;
    private final MeterRegistry metrics;
    private final KafkaProducer<String, byte[]> producer;
    private final Map<String, NavigableMap<String, SyncRun>> runs = new ConcurrentHashMap<>();
    private TopicFollower follower;

    private RunHistory(final String topic, final Map<String, Object> clientProperties, final MeterRegistry metrics) {
        this.topic = topic;
        this.metrics = metrics;
        final Map<String, Object> props = new HashMap<>(clientProperties);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    public static RunHistory start(final String topic, final Map<String, Object> clientProperties, final MeterRegistry metrics) {
        final RunHistory history = new RunHistory(topic, clientProperties, metrics);
        history.follower = TopicFollower.start(topic, clientProperties, history::apply);
        return history;
    }

    /** Records a run's new state; every instance sees it within a poll. Finished runs count in the metrics. */
    public void record(final SyncRun run) {
        if (!run.isRunning()) {
            metrics.counter("persona.sync.runs", "sync", run.sync(), "status", run.status().wireName()).increment();
            metrics.counter("persona.sync.rows", "sync", run.sync(), "kind", "upserted").increment(run.upserted());
            metrics.counter("persona.sync.rows", "sync", run.sync(), "kind", "deleted").increment(run.deleted());
        }
        try {
            // Run history is status, not data: a record Kafka did not take is logged and counted, never waited for.
            producer.send(new ProducerRecord<>(topic, 0, run.sync() + "/" + run.id(), MAPPER.writeValueAsBytes(run)), (metadata, error) -> {
                if (error != null) {
                    metrics.counter("persona.sync.run.records.lost", "sync", run.sync()).increment();
                    LOG.warn("Sync {}: the {} state of run {} did not reach {}: {}", run.sync(), run.status(), run.id(), topic, error.getMessage());
                }
            });
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        final NavigableMap<String, SyncRun> ofSync = runs.get(run.sync());
        if (ofSync != null && ofSync.size() > KEPT) {
            ofSync.headMap(ofSync.lastKey()).keySet().stream().limit(ofSync.size() - KEPT)
                    .forEach(old -> producer.send(new ProducerRecord<>(topic, 0, run.sync() + "/" + old, null)));
        }
    }

    /** A sync's runs, newest first. */
    public List<SyncRun> runs(final String sync) {
        final NavigableMap<String, SyncRun> ofSync = runs.get(sync);
        return ofSync == null ? List.of() : new ArrayList<>(ofSync.descendingMap().values());
    }

    /** A sync's newest run. */
    public Optional<SyncRun> last(final String sync) {
        final NavigableMap<String, SyncRun> ofSync = runs.get(sync);
        return ofSync == null || ofSync.isEmpty() ? Optional.empty() : Optional.of(ofSync.lastEntry().getValue());
    }

    /** Waits until this instance has seen everything recorded so far (tests, CLI round trips). */
    public void flush() {
        producer.flush();
    }

    private void apply(final ConsumerRecord<String, byte[]> record) {
        final int slash = record.key().indexOf('/');
        if (slash < 0) {
            return;
        }
        final String sync = record.key().substring(0, slash);
        final String id = record.key().substring(slash + 1);
        final NavigableMap<String, SyncRun> ofSync = runs.computeIfAbsent(sync, s -> new ConcurrentSkipListMap<>());
        if (record.value() == null) {
            ofSync.remove(id);
            return;
        }
        try {
            ofSync.put(id, MAPPER.readValue(record.value(), SyncRun.class));
            while (ofSync.size() > KEPT) {
                ofSync.pollFirstEntry();
            }
        } catch (final IOException e) {
            LOG.warn("Skipping an unreadable run record at offset {} of {}", record.offset(), topic);
        }
    }

    /** Why runs of other instances are not reaching this one now, if they are not. */
    public Optional<String> failure() {
        return follower.failure();
    }

    @Override
    public void close() {
        follower.close();
        producer.close(Duration.ofSeconds(5));
    }
}
