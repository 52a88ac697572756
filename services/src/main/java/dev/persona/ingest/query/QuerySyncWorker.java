package dev.persona.ingest.query;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.config.PersonaConfig;
import dev.persona.config.Schedules;
import dev.persona.config.SourceConfig;
import dev.persona.config.SyncConfig;
import dev.persona.ingest.FailureAlerts;
import dev.persona.ingest.IngestTopics;
import dev.persona.ingest.RunHistory;
import dev.persona.ingest.SyncRun;
import dev.persona.ingest.SyncWorker;
import dev.persona.topology.ChangeRow;
import dev.persona.topology.ChangeRowEnvelope;
import dev.persona.topology.Json;
import dev.persona.topology.TopicNames;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs one query sync on its schedule while this instance owns it. A run executes the model, compares each row
 * with the previous run's, and produces only what changed: upserts for new or changed rows, deletes for rows that
 * left the result. The change rows and the new state go out in one Kafka transaction, so a run that dies half-way
 * applies nothing and the next run starts from the last complete one. A changed model or mapping, or a request
 * for it, makes a full run that sends every row.
 */
public final class QuerySyncWorker implements SyncWorker {
    private static final Logger LOG = LoggerFactory.getLogger(QuerySyncWorker.class);
    private static final CronParser CRON = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

    private final SyncConfig sync;
    private final SourceConfig.Query source;
    private final String syncTopic;
    private final String stateTopic;
    private final Map<String, Object> clientProperties;
    private final RunHistory history;
    private final FailureAlerts alerts;
    private final String instance;
    private final ScheduledExecutorService executor;
    private final KafkaProducer<String, byte[]> producer;
    private SyncState state;

    public QuerySyncWorker(final PersonaConfig config, final SyncConfig sync, final Map<String, Object> clientProperties,
                           final RunHistory history, final FailureAlerts alerts, final String instance) {
        this.sync = sync;
        this.source = (SourceConfig.Query) sync.source();
        this.syncTopic = new TopicNames(config.kafka()).syncTopic(sync.collection(), sync.id());
        this.stateTopic = IngestTopics.state(config, sync);
        this.clientProperties = clientProperties;
        this.history = history;
        this.alerts = alerts;
        this.instance = instance;
        final Map<String, Object> props = new HashMap<>(clientProperties);
        // One transactional id per sync: a new owner's initTransactions fences a previous owner that is still alive.
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.kafka().applicationId() + "-sync-" + sync.id());
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) Duration.ofMinutes(15).toMillis());
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread thread = new Thread(r, "sync-" + sync.id());
            thread.setDaemon(true);
            return thread;
        });
        executor.execute(producer::initTransactions);
        final Optional<Duration> interval = Schedules.interval(source.schedule());
        if (interval.isPresent()) {
            executor.scheduleWithFixedDelay(() -> run(false, "schedule"), 0, interval.get().toMillis(), TimeUnit.MILLISECONDS);
        } else {
            scheduleNextCronRun();
        }
    }

    @Override
    public void trigger(final boolean full) {
        executor.execute(() -> run(full, full ? "full" : "manual"));
    }

    private void scheduleNextCronRun() {
        final ExecutionTime times = ExecutionTime.forCron(CRON.parse(source.schedule()));
        times.timeToNextExecution(ZonedDateTime.now()).ifPresent(delay -> executor.schedule(() -> {
            run(false, "schedule");
            scheduleNextCronRun();
        }, Math.max(1, delay.toMillis()), TimeUnit.MILLISECONDS));
    }

    private void run(final boolean full, final String trigger) {
        SyncRun run = SyncRun.start(sync.id(), trigger, full, instance);
        history.record(run);
        try {
            if (state == null) {
                state = SyncState.load(stateTopic, clientProperties);
            }
            run = apply(run, full);
        } catch (final RunFailure e) {
            run = run.failed(e.getMessage());
        } catch (final SQLException e) {
            run = run.failed("the model failed: " + e.getMessage());
        } catch (final ProducerFencedException e) {
            run = run.failed("another instance took this sync over");
        } catch (final RuntimeException e) {
            LOG.warn("Sync {} run failed", sync.id(), e);
            run = run.failed(e.getMessage() == null ? e.toString() : e.getMessage());
        }
        history.record(run);
        if (SyncRun.FAILED.equals(run.status())) {
            LOG.warn("Sync {} run failed: {}", sync.id(), run.error());
            alerts.runFailed(sync, run);
        } else {
            LOG.info("Sync {} run: {} rows, {} upserted, {} deleted, {} unchanged", sync.id(), run.rowsRead(), run.upserted(), run.deleted(), run.unchanged());
        }
    }

    private SyncRun apply(final SyncRun run, final boolean requestedFull) throws SQLException {
        final Map<String, ObjectNode> rows = ModelReader.read(source.connection(), source.sql(), sync.primaryKey());
        final String fingerprint = fingerprint();
        final boolean full = requestedFull || !fingerprint.equals(state.fingerprint);
        final long version = state.lastRun + 1;
        final long ts = run.startedAt();
        final Map<String, String> written = new HashMap<>();
        final Set<String> removed = new HashSet<>();
        long unchanged = 0;
        producer.beginTransaction();
        try {
            for (final Map.Entry<String, ObjectNode> row : rows.entrySet()) {
                final String hash = hash(row.getValue());
                if (!full && hash.equals(state.hashes.get(row.getKey()))) {
                    unchanged++;
                    continue;
                }
                producer.send(new ProducerRecord<>(syncTopic, row.getKey(),
                        ChangeRowEnvelope.toBytes(ChangeRow.upsert(row.getKey(), row.getValue(), version, ts))));
                producer.send(new ProducerRecord<>(stateTopic, 0, row.getKey(), hash.getBytes(StandardCharsets.UTF_8)));
                written.put(row.getKey(), hash);
            }
            for (final String key : state.hashes.keySet()) {
                if (!rows.containsKey(key)) {
                    final ObjectNode keyOnly = Json.mapper().createObjectNode().put(sync.primaryKey(), key);
                    producer.send(new ProducerRecord<>(syncTopic, key, ChangeRowEnvelope.toBytes(ChangeRow.delete(key, keyOnly, version, ts))));
                    producer.send(new ProducerRecord<>(stateTopic, 0, key, null));
                    removed.add(key);
                }
            }
            producer.send(new ProducerRecord<>(stateTopic, 0, SyncState.META_KEY, SyncState.meta(version, fingerprint)));
            producer.commitTransaction();
        } catch (final ProducerFencedException e) {
            throw e;
        } catch (final KafkaException e) {
            producer.abortTransaction();
            throw new RunFailure("Kafka refused the run's changes (nothing was applied): " + e.getMessage());
        } catch (final RuntimeException e) {
            producer.abortTransaction();
            throw e;
        }
        state.hashes.putAll(written);
        removed.forEach(state.hashes::remove);
        state.lastRun = version;
        state.fingerprint = fingerprint;
        return run.succeeded(rows.size(), written.size(), removed.size(), unchanged);
    }

    /** What makes earlier results comparable: the model, the key and the mapping. */
    private String fingerprint() {
        return sha256(source.sql() + "\n" + sync.primaryKey() + "\n" + sync.collection() + "\n" + sync.mapping());
    }

    private static String hash(final ObjectNode row) {
        return sha256(row.toString()).substring(0, 32);
    }

    private static String sha256(final String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("Sync {} did not stop within 30s", sync.id());
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
    }
}
