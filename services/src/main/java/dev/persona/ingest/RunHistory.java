package dev.persona.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.persona.kafka.CompactedLog;
import dev.persona.kafka.KafkaCompactedLog;
import dev.persona.topology.Json;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The runs of every sync, in a compacted topic that every instance follows, so any instance can show them.
 * Keeps the newest {@value #KEPT} runs per sync; older ones are removed from the topic too.
 */
public final class RunHistory implements AutoCloseable {
    static final int KEPT = 100;
    private static final Logger LOG = LoggerFactory.getLogger(RunHistory.class);
    private static final ObjectMapper MAPPER = Json.mapper();

    private final String where;
    private final MeterRegistry metrics;
    private final Map<String, NavigableMap<String, SyncRun>> runs = new ConcurrentHashMap<>();
    private final CompactedLog log;

    /** @param log opens the log with the function that applies each of its changes here */
    private RunHistory(final String where, final MeterRegistry metrics, final Function<BiConsumer<String, byte[]>, CompactedLog> log) {
        this.where = where;
        this.metrics = metrics;
        this.log = log.apply(this::apply);
    }

    /** Reads every run in {@code topic}, then follows it. */
    public static RunHistory start(final String topic, final Map<String, Object> clientProperties, final MeterRegistry metrics) {
        return new RunHistory(topic, metrics, apply -> new KafkaCompactedLog(topic, clientProperties, apply));
    }

    /** Runs held by this process alone, with no broker: for tests of the HTTP layer. */
    public static RunHistory inMemory(final MeterRegistry metrics) {
        return new RunHistory("memory", metrics, CompactedLog::inMemory);
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
            log.send(run.sync() + "/" + run.id(), MAPPER.writeValueAsBytes(run), error -> {
                metrics.counter("persona.sync.run.records.lost", "sync", run.sync()).increment();
                LOG.warn("Sync {}: the {} state of run {} did not reach {}: {}", run.sync(), run.status(), run.id(), where, error.getMessage());
            });
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        final NavigableMap<String, SyncRun> ofSync = runs.get(run.sync());
        if (ofSync != null && ofSync.size() > KEPT) {
            ofSync.headMap(ofSync.lastKey()).keySet().stream().limit(ofSync.size() - KEPT)
                    .forEach(old -> log.send(run.sync() + "/" + old, null, error -> { }));
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
        log.flush();
    }

    /** Applies one change of the log: run {@code key} ({@code sync/id}) as {@code value}, or its removal (null). */
    private void apply(final String key, final byte[] value) {
        final int slash = key.indexOf('/');
        if (slash < 0) {
            return;
        }
        final String sync = key.substring(0, slash);
        final String id = key.substring(slash + 1);
        final NavigableMap<String, SyncRun> ofSync = runs.computeIfAbsent(sync, s -> new ConcurrentSkipListMap<>());
        if (value == null) {
            ofSync.remove(id);
            return;
        }
        try {
            ofSync.put(id, MAPPER.readValue(value, SyncRun.class));
            while (ofSync.size() > KEPT) {
                ofSync.pollFirstEntry();
            }
        } catch (final IOException e) {
            LOG.warn("Skipping an unreadable run record '{}' of {}", key, where);
        }
    }

    /** Why runs of other instances are not reaching this one now, if they are not. */
    public Optional<String> failure() {
        return log.failure();
    }

    @Override
    public void close() {
        log.close();
    }
}
