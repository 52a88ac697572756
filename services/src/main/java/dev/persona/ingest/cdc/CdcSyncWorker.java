package dev.persona.ingest.cdc;

import dev.persona.config.PersonaConfig;
import dev.persona.config.Secrets;
import dev.persona.config.SourceConfig;
import dev.persona.config.SyncConfig;
import dev.persona.config.ValueFormat;
import dev.persona.ingest.ChangeSink;
import dev.persona.ingest.DeadLetter;
import dev.persona.ingest.DriverMessage;
import dev.persona.ingest.FailureAlerts;
import dev.persona.ingest.RunHistory;
import dev.persona.ingest.RunTrigger;
import dev.persona.ingest.SyncRun;
import dev.persona.ingest.SyncWorker;
import dev.persona.kafka.Backoff;
import dev.persona.topology.ChangeRow;
import dev.persona.topology.ChangeRowParser;
import dev.persona.topology.MalformedRowException;
import dev.persona.topology.RunSamples;
import org.apache.kafka.common.header.internals.RecordHeaders;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Captures one PostgreSQL table with Debezium's embedded engine ({@code pgoutput}) while this instance owns the
 * sync: the first start snapshots the table, then every insert and update becomes an upsert with its after-image
 * and every delete a delete, versioned by the source LSN, produced to the sync's topic by an idempotent producer.
 * Engine offsets are committed to Kafka only after every row of a batch is acknowledged, so a restart or another
 * instance resumes where this one stopped without losing a change (a replayed change is harmless: its LSN is not
 * newer). A row Kafka can never take goes to the collection's dead-letter topic with its key, LSN and reason; a
 * batch Kafka did not take (a broker away past the delivery timeout) stops the engine, which restarts from the last
 * committed offset with backoff (1 s doubling to 30 s).
 * Replication slot and publication are {@code persona_<sync id, lower case>}.
 */
public final class CdcSyncWorker implements SyncWorker {
    private static final Logger LOG = LoggerFactory.getLogger(CdcSyncWorker.class);

    private final SyncConfig sync;
    private final SourceConfig.Cdc source;
    private final Properties engineProperties;
    /** The sync's topic, its dead letters and the run's counts (written by the engine's thread, reset by the executor's). */
    private final ChangeSink sink;
    private final ChangeRowParser parser;
    private final RunHistory history;
    private final FailureAlerts alerts;
    private final Secrets secrets;
    private final String instance;
    private final ScheduledExecutorService executor;
    private volatile DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    /** Kafka Connect's records as the JSON the parser reads. */
    private final ConnectJson json = new ConnectJson();
    private volatile SyncRun run;
    private volatile boolean closed;
    private long lastProgress;
    /** Set for a MariaDB source: where its transactions start, for offsets that lose no row at a restart. */
    private volatile MariaDbRestartPoints restartPoints;
    /** Set for a MySQL or MariaDB source: hears Debezium skip a DDL statement of the captured table. */
    private final UnparsedDdlWatch unparsedDdl;
    /** Why capture must stop before another row is sent: a DDL of the captured table that Debezium skipped. */
    private volatile String unparsed;
    private volatile String batchFailure;
    private final Backoff backoff = Backoff.standard();

    public CdcSyncWorker(final PersonaConfig config, final SyncConfig sync, final Map<String, Object> clientProperties,
                         final RunHistory history, final FailureAlerts alerts, final String instance) {
        this.sync = sync;
        this.source = (SourceConfig.Cdc) sync.source();
        this.engineProperties = EngineSettings.of(config, sync, source, clientProperties);
        this.sink = ChangeSink.idempotent(config, sync, clientProperties, "a captured row carries every column of the table, mapped or not: "
                + "shorten the long one, or move it to a table of its own");
        this.parser = ChangeRowParser.of(ValueFormat.DEBEZIUM, sync.primaryKey());
        this.history = history;
        this.alerts = alerts;
        this.secrets = Secrets.of(config);
        this.instance = instance;
        this.executor = Executors.newScheduledThreadPool(2, r -> {
            final Thread thread = new Thread(r, "cdc-" + sync.id());
            thread.setDaemon(true);
            return thread;
        });
        this.unparsedDdl = source.readsBinaryLog() ? UnparsedDdlWatch.start("persona_" + sync.id(), source.table(), this::capturedTableUnparsed) : null;
        executor.execute(this::startEngine);
    }

    /**
     * Debezium skipped a DDL statement of the captured table: the rows after it would be read with the columns known
     * before. The next batch fails instead, before any row of it is sent; each restart meets the statement again, so
     * the sync stays failed, with the fix, until the operator acts.
     */
    private void capturedTableUnparsed(final String statement) {
        unparsed = "Debezium cannot parse a change of the captured table " + source.table() + " ('"
                + (statement.length() > 300 ? statement.substring(0, 300) + "…" : statement) + "'), so it cannot tell which value belongs to "
                + "which column after it. Fix: change the column to a type MySQL knows (uuid: CHAR(36), inet6: VARCHAR(45)), then give the sync a "
                + "new id, which reads the table afresh";
    }

    /** Slot and publication name of a sync. */
    public static String slotName(final SyncConfig sync) {
        return EngineSettings.slotName(sync);
    }

    private void startEngine() {
        if (closed) {
            return;
        }
        run = SyncRun.start(sync.id(), RunTrigger.START, false, instance);
        history.record(run);
        batchFailure = null;
        unparsed = null;
        final Optional<String> problem;
        try {
            problem = CdcPreflight.problem(source, sync.primaryKey());
        } catch (final SQLException e) {
            fail(CdcPreflight.cannotConnect(source, e));
            return;
        }
        if (problem.isPresent()) {
            fail(problem.get());
            return;
        }
        sink.prepare();
        if (source.readsBinaryLog()) {
            closeRestartPoints();
            try {
                restartPoints = MariaDbRestartPoints.forServer(source.connection());
            } catch (final SQLException e) {
                fail(CdcPreflight.cannotConnect(source, e));
                return;
            }
        }
        sink.counts().reset();
        // Kafka Connect's records, not Debezium's JSON: a record's source offset is then Connect's API (MariaDB's
        // restart points need it), and ConnectJson writes the JSON Debezium's Json format would.
        engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(engineProperties)
                .using((success, message, error) -> {
                    if (!success && !closed) {
                        // A skipped DDL of the captured table says more than the row error Debezium may meet first.
                        fail(batchFailure != null ? batchFailure : unparsed != null ? unparsed
                                : "the CDC engine stopped: " + (error != null ? rootCause(error) : message));
                    }
                })
                .notifying(this::handleBatch)
                .build();
        if (source.readsBinaryLog()) {
            LOG.info("Sync {}: capturing {} from the binary log", sync.id(), source.table());
        } else {
            LOG.info("Sync {}: capturing {} (slot {})", sync.id(), source.table(), slotName(sync));
        }
        try {
            engine.run();
        } catch (final RuntimeException | Error e) {
            // The engine reports most failures to the completion callback; anything it throws instead must not end
            // the sync either (a retry is scheduled), and no later start may be lost.
            if (!closed && run.isRunning()) {
                fail("the CDC engine failed: " + e);
            }
        }
    }

    /**
     * What stopped the engine, from the innermost cause that says something: Debezium wraps it in "An exception
     * occurred in the change event producer", which tells an operator nothing (a DDL it cannot parse, say).
     */
    static String rootCause(final Throwable error) {
        String message = error.getMessage();
        Throwable cause = error.getCause();
        // Bounded: a cause chain may loop.
        for (int depth = 0; cause != null && depth < 20; depth++, cause = cause.getCause()) {
            if (cause.getMessage() != null && !cause.getMessage().isBlank()) {
                message = cause.getMessage();
            }
        }
        final String text = message == null ? error.getClass().getSimpleName() : message;
        return text.length() > 1_000 ? text.substring(0, 1_000) + "…" : text;
    }

    private void fail(final String error) {
        final String why = secrets.redact(error);
        run = run.failed(why);
        history.record(run);
        alerts.runFailed(sync, run);
        final Duration wait = backoff.next();
        LOG.warn("Sync {}: {}; restarting from the last committed offset in {} ms", sync.id(), why, wait.toMillis());
        if (!closed) {
            executor.schedule(this::startEngine, wait.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Hands one batch to Kafka and lets Debezium commit its offsets only once every change of it is in Kafka: in the
     * sync topic, or, for a change Kafka can never take (too large) or Persona cannot read, in the dead-letter topic
     * with its reason. Any other failure (the broker away past the delivery timeout) fails the batch: nothing of it
     * is committed, the engine stops and restarts from the last committed offset, and the run is marked failed.
     */
    private void handleBatch(final List<RecordChangeEvent<SourceRecord>> events,
                             final DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) throws InterruptedException {
        if (unparsed != null) {
            failBatch(unparsed);
        }
        final List<ChangeSink.Sent> sent = new ArrayList<>(events.size());
        // Every row names the run it belongs to (the engine's start, or a resync), for the run debugger's samples.
        final RecordHeaders runHeaders = new RecordHeaders();
        runHeaders.add(RunSamples.RUN_HEADER, run.id().getBytes(StandardCharsets.UTF_8));
        for (final RecordChangeEvent<SourceRecord> event : events) {
            final SourceRecord record = event.record();
            if (record.value() == null || record.topic() == null || record.topic().startsWith("__debezium-heartbeat")) {
                continue;
            }
            final byte[] value = json.value(record);
            final byte[] key = json.key(record);
            try {
                final Optional<ChangeRow> row = parser.parse(key, value);
                if (row.isPresent()) {
                    // A row larger than the topic takes goes to the dead letters instead, with the fix.
                    sent.add(sink.send(row.get(), runHeaders));
                } else if (CdcEvents.isTruncate(value)) {
                    LOG.warn("Sync {}: TRUNCATE of {} captured; records are kept (see the dead-letter topic)", sync.id(), source.table());
                    sink.counts().rejectedAtSource();
                    sent.add(sink.deadLetter(new DeadLetter(sync.id(), null, CdcEvents.lsn(value),
                            "TRUNCATE of " + source.table() + ": a truncate names no rows, so Persona keeps every record it holds. Fix: "
                                    + "remove rows with DELETE, or run a full resync after reloading the table", null)));
                }
            } catch (final MalformedRowException e) {
                sink.counts().rejectedAtSource();
                sent.add(sink.deadLetter(new DeadLetter(sync.id(), key == null ? null : new String(key, StandardCharsets.UTF_8), CdcEvents.lsn(value),
                        "a change event Persona cannot read: " + e.getMessage(), value)));
            }
        }
        sink.flush();
        for (final ChangeSink.Sent change : sent) {
            final Optional<Throwable> failure = change.failure();
            if (failure.isPresent() && change.row() != null && ChangeSink.isPermanent(failure.get())) {
                // Kafka will never take this row (the limit check missed it): dead-letter it and go on.
                final ChangeSink.Sent letter = sink.deadLetter(new DeadLetter(sync.id(), change.row().key(),
                        change.row().version(), "Kafka refused the change row: " + failure.get().getMessage(), null));
                sink.flush();
                letter.failure().ifPresent(f -> failBatch("Kafka refused a dead letter: " + f.getMessage()));
                sink.refused(change.row());
            } else if (failure.isPresent()) {
                failBatch("Kafka did not take the change of key '" + (change.row() == null ? change.letter().key() : change.row().key())
                        + "' (" + failure.get().getMessage() + "); nothing of the batch was committed");
            }
        }
        // Offsets move only once the rows are safely in Kafka: a crash here replays, never loses.
        if (restartPoints == null) {
            for (final RecordChangeEvent<SourceRecord> event : events) {
                committer.markProcessed(event);
            }
        } else if (!events.isEmpty()) {
            markAtTransactionStart(events.get(events.size() - 1), committer);
        }
        committer.markBatchFinished();
        backoff.reset();
        // A committed batch (heartbeats included) is the CDC sync working again.
        alerts.runSucceeded(sync, instance);
        final long now = System.currentTimeMillis();
        if (now - lastProgress > 5_000 || !sent.isEmpty() && sent.stream().anyMatch(c -> c.row() == null)) {
            lastProgress = now;
            // A resync replaces the run meanwhile (signalSnapshot): one at a time.
            synchronized (this) {
                run = progressed(run);
                history.record(run);
            }
        }
    }

    /**
     * MariaDB: commits the start of the transaction that holds the batch's last change, not Debezium's offset, which
     * would skip a row at the next start ({@link MariaDbRestartPoints} says why). A snapshot's offsets stand as they are.
     */
    private void markAtTransactionStart(final RecordChangeEvent<SourceRecord> last,
                                        final DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) throws InterruptedException {
        final Map<String, ?> offset = last.record().sourceOffset();
        if (offset == null || offset.containsKey("snapshot") || !(offset.get("file") instanceof String file)
                || !(offset.get("pos") instanceof Number position)) {
            committer.markProcessed(last);
            return;
        }
        final long start;
        try {
            start = restartPoints.transactionStart(file, position.longValue());
        } catch (final SQLException e) {
            // The offset stays where it was: a later batch, or the next start, reads from there. Nothing is lost.
            LOG.warn("Sync {}: cannot find where the transaction at {}:{} starts ({}); its offset is not committed yet",
                    sync.id(), file, position, secrets.redact(DriverMessage.of(e)));
            return;
        }
        final DebeziumEngine.Offsets offsets = committer.buildOffsets();
        offset.forEach((key, value) -> {
            if (!key.equals("row") && !key.equals("event")) {
                offsets.set(key, value);
            }
        });
        offsets.set("pos", start);
        committer.markProcessed(last, offsets);
    }

    private void closeRestartPoints() {
        if (restartPoints != null) {
            restartPoints.close();
            restartPoints = null;
        }
    }

    private void failBatch(final String why) {
        batchFailure = why;
        throw new KafkaException(why);
    }

    /**
     * Reads the whole table again (a full resync), while changes keep their place: Debezium's ad-hoc blocking
     * snapshot. Every row is sent as an upsert, so fields a mapping no longer writes leave every record. Recorded as a
     * run of its own, triggered {@code full}. An engine still starting (or restarting) takes no signal yet: the
     * request is retried every half second for two minutes.
     */
    @Override
    public void trigger(final RunTrigger trigger) {
        // Only FULL reaches a CDC sync: IngestService refuses a plain run of one.
        executor.execute(() -> signalSnapshot(System.nanoTime() + RESYNC_PATIENCE.toNanos()));
    }

    private static final Duration RESYNC_PATIENCE = Duration.ofMinutes(2);

    private void signalSnapshot(final long deadline) {
        if (closed) {
            return;
        }
        final DebeziumEngine<RecordChangeEvent<SourceRecord>> current = engine;
        try {
            if (current == null) {
                throw new IllegalStateException("the CDC engine has not started");
            }
            current.getSignaler().signal(new DebeziumEngine.Signal(java.util.UUID.randomUUID().toString(), "execute-snapshot",
                    "{\"data-collections\": [\"" + source.table().replace("\"", "") + "\"], \"type\": \"blocking\"}", Map.of()));
        } catch (final RuntimeException e) {
            if (System.nanoTime() > deadline) {
                LOG.warn("Sync {}: the CDC engine took no resync request for {}: {}; ask again", sync.id(), RESYNC_PATIENCE, e.getMessage());
            } else {
                executor.schedule(() -> signalSnapshot(deadline), 500, TimeUnit.MILLISECONDS);
            }
            return;
        }
        synchronized (this) {
            if (run != null && run.isRunning()) {
                history.record(succeeded(run));
            }
            sink.counts().reset();
            run = SyncRun.start(sync.id(), RunTrigger.FULL, true, instance);
            history.record(run);
        }
        LOG.info("Sync {}: reading {} again (a blocking snapshot; changes resume afterwards)", sync.id(), source.table());
    }

    @Override
    public void close() {
        closed = true;
        final DebeziumEngine<RecordChangeEvent<SourceRecord>> current = engine;
        if (current != null) {
            try {
                current.close();
            } catch (final IOException e) {
                LOG.warn("Sync {}: error stopping the CDC engine", sync.id(), e);
            } catch (final IllegalStateException e) {
                // An engine that stopped on a failure is "already shut down" (AsyncEmbeddedEngine); the rest of the sync
                // (its retries, its producer) must be released all the same.
                LOG.debug("Sync {}: the CDC engine had stopped already: {}", sync.id(), e.getMessage());
            }
        }
        executor.shutdownNow();
        try {
            executor.awaitTermination(30, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeRestartPoints();
        if (unparsedDdl != null) {
            unparsedDdl.stop();
        }
        sink.close();
        if (run != null && run.isRunning()) {
            history.record(succeeded(run));
        }
    }

    /** The run with the counts of its rows so far. */
    private SyncRun progressed(final SyncRun run) {
        final ChangeSink.Counts counts = sink.counts();
        return run.progressed(counts.sent(), counts.upserts(), counts.deletes(), counts.rejected());
    }

    /** The run ended well, with the counts of its rows. */
    private SyncRun succeeded(final SyncRun run) {
        final ChangeSink.Counts counts = sink.counts();
        return run.succeeded(counts.sent(), counts.upserts(), counts.deletes(), 0, counts.rejected());
    }
}
