package dev.persona.ingest.query;

import com.cronutils.model.time.ExecutionTime;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.config.PersonaConfig;
import dev.persona.config.Secrets;
import dev.persona.config.Schedules;
import dev.persona.config.SourceConfig;
import dev.persona.config.SyncConfig;
import dev.persona.ingest.ChangeSink;
import dev.persona.ingest.FailureAlerts;
import dev.persona.ingest.RunHistory;
import dev.persona.ingest.RunStatus;
import dev.persona.ingest.RunTrigger;
import dev.persona.ingest.SyncRun;
import dev.persona.ingest.SyncWorker;
import dev.persona.topology.ChangeRow;
import dev.persona.topology.Json;
import dev.persona.topology.TopicNames;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs one query sync on its schedule while this instance owns it. A run executes the model, compares each row
 * with the previous run's, and produces only what changed: upserts for new or changed rows, deletes for rows that
 * left the result. The change rows and the new state go out in one Kafka transaction, so a run that dies half-way
 * applies nothing and the next run starts from the last complete one. A changed model or mapping, or a request
 * for it, makes a full run that sends every row. A row too large for Kafka goes to the dead-letter topic and the
 * rest of the run applies. Any failure ends the run as failed and alerts; the schedule goes on. A run that takes
 * longer than {@code source.timeout} is ended as failed and its statement cancelled.
 */
public final class QuerySyncWorker implements SyncWorker {
    private static final Logger LOG = LoggerFactory.getLogger(QuerySyncWorker.class);

    private final SyncConfig sync;
    private final SourceConfig.Query source;
    private final String stateTopic;
    private final Map<String, Object> clientProperties;
    private final RunHistory history;
    private final FailureAlerts alerts;
    private final String instance;
    private final Secrets secrets;
    private final ScheduledExecutorService executor;
    private final ScheduledExecutorService watchdog;
    /** The run in progress, while there is one: what a cancel or the timeout stops. */
    private volatile RunControl current;
    private final ChangeSink sink;
    private SyncState state;

    public QuerySyncWorker(final PersonaConfig config, final SyncConfig sync, final Map<String, Object> clientProperties,
                           final RunHistory history, final FailureAlerts alerts, final String instance) {
        this.sync = sync;
        this.source = (SourceConfig.Query) sync.source();
        final TopicNames names = new TopicNames(config.kafka());
        this.stateTopic = names.state(sync);
        this.clientProperties = clientProperties;
        this.history = history;
        this.alerts = alerts;
        this.instance = instance;
        this.secrets = Secrets.of(config);
        this.sink = ChangeSink.transactional(config, sync, clientProperties, "select fewer or shorter columns in the sync's SQL");
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread thread = new Thread(r, "sync-" + sync.id());
            thread.setDaemon(true);
            return thread;
        });
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread thread = new Thread(r, "sync-" + sync.id() + "-timeout");
            thread.setDaemon(true);
            return thread;
        });
        final Optional<Duration> interval = Schedules.interval(source.schedule());
        if (interval.isPresent()) {
            // A task that throws is never run again by scheduleWithFixedDelay: run() throws nothing.
            executor.scheduleWithFixedDelay(() -> run(RunTrigger.SCHEDULE), 0, interval.get().toMillis(), TimeUnit.MILLISECONDS);
        } else {
            scheduleNextCronRun();
        }
    }

    /**
     * Stops the run in progress as its timeout does: the model's statement is cancelled and the run's thread
     * interrupted, the run's Kafka transaction aborts (nothing applied) and the run ends as cancelled.
     */
    @Override
    public void cancel() {
        final RunControl control = current;
        if (control == null || !control.stop(RunControl.Stop.CANCELLED)) {
            LOG.info("Sync {}: nothing to cancel, no run in progress or it is committing", sync.id());
        }
    }

    @Override
    public void trigger(final RunTrigger trigger) {
        executor.execute(() -> run(trigger));
    }

    private void scheduleNextCronRun() {
        final ExecutionTime times = ExecutionTime.forCron(Schedules.cron(source.schedule()));
        times.timeToNextExecution(ZonedDateTime.now()).ifPresent(delay -> executor.schedule(() -> {
            try {
                run(RunTrigger.SCHEDULE);
            } finally {
                scheduleNextCronRun();
            }
        }, Math.max(1, delay.toMillis()), TimeUnit.MILLISECONDS));
    }

    /**
     * One run, start to end; every failure, {@link Error}s included, ends it as failed and alerts. Never throws. A
     * {@link RunTrigger#FULL} run sends every row; any other sends what changed, unless the model did.
     */
    private void run(final RunTrigger trigger) {
        final SyncRun started = SyncRun.start(sync.id(), trigger, trigger == RunTrigger.FULL, instance);
        history.record(started);
        // An interrupt meant for the last run (it came as that run ended) is not for this one.
        Thread.interrupted();
        final RunControl control = new RunControl(Thread.currentThread(), sync.id());
        current = control;
        final ScheduledFuture<?> timeout = watchdog.schedule(() -> {
            if (control.stop(RunControl.Stop.TIMED_OUT)) {
                ended(started.failed("the run took longer than its timeout (" + source.timeout().toSeconds()
                        + "s; source.timeout); the model's statement was cancelled"));
            }
        }, source.timeout().toMillis(), TimeUnit.MILLISECONDS);
        SyncRun run;
        try {
            sink.prepare();
            if (state == null) {
                state = SyncState.load(stateTopic, clientProperties);
            }
            run = apply(started, trigger == RunTrigger.FULL, control);
        } catch (final RunFailure e) {
            run = started.failed(e.getMessage());
        } catch (final SQLException e) {
            run = started.failed("the model failed: " + e.getMessage());
        } catch (final ProducerFencedException e) {
            run = started.failed("another instance took this sync over");
        } catch (final Throwable e) {
            LOG.warn("Sync {} run failed", sync.id(), e);
            run = started.failed(e.getMessage() == null ? e.toString() : e.getMessage());
            // The producer may be left mid-transaction or fenced by an error: the next run starts with a new one.
            sink.renew();
        } finally {
            control.finished();
            current = null;
            if (!timeout.cancel(false)) {
                awaitQuietly(timeout);
            }
        }
        // The watchdog has finished or will never run: an interrupt it sent is for this run, not the next.
        Thread.interrupted();
        final RunControl.Stop stopped = control.stopped();
        if (stopped == RunControl.Stop.CANCELLED && run.status() != RunStatus.SUCCEEDED) {
            run = started.cancelled();
        }
        if (stopped == RunControl.Stop.TIMED_OUT || run.status() != RunStatus.SUCCEEDED) {
            // The hashes were updated as the rows went by: the next run starts from the last committed ones.
            state = null;
        }
        if (stopped != RunControl.Stop.TIMED_OUT) {
            // A timed-out run was ended by the watchdog, when it timed out.
            ended(run);
        }
    }

    private static void awaitQuietly(final ScheduledFuture<?> timeout) {
        try {
            timeout.get();
        } catch (final InterruptedException e) {
            // The watchdog's own interrupt: cleared below.
        } catch (final ExecutionException | CancellationException e) {
            LOG.warn("The run timeout failed", e);
        }
    }

    private void ended(final SyncRun finished) {
        final SyncRun run = finished.redacted(secrets);
        try {
            history.record(run);
            if (run.status() == RunStatus.FAILED) {
                LOG.warn("Sync {} run failed: {}", sync.id(), run.error());
                alerts.runFailed(sync, run);
            } else if (run.status() == RunStatus.CANCELLED) {
                LOG.info("Sync {} run {} cancelled on request after {} rows; nothing of it was applied", sync.id(), run.id(), run.rowsRead());
            } else {
                alerts.runSucceeded(sync, instance);
                LOG.info("Sync {} run: {} rows, {} upserted, {} deleted, {} unchanged, {} rejected", sync.id(), run.rowsRead(), run.upserted(),
                        run.deleted(), run.unchanged(), run.rejected());
            }
        } catch (final RuntimeException e) {
            LOG.error("Sync {}: cannot record the end of run {}", sync.id(), run.id(), e);
        }
    }

    private SyncRun apply(final SyncRun run, final boolean requestedFull, final RunControl control) throws SQLException {
        final String fingerprint = modelFingerprint(source, sync);
        final boolean full = requestedFull || !fingerprint.equals(state.fingerprint);
        final long version = state.nextVersion(run.startedAt());
        final long ts = run.startedAt();
        sink.counts().reset();
        // Every row names its run, so that the merge can sample what the run did (GET /admin/syncs/{id}/runs/{run}).
        final org.apache.kafka.common.header.internals.RecordHeaders runHeaders = new org.apache.kafka.common.header.internals.RecordHeaders();
        runHeaders.add(dev.persona.topology.RunSamples.RUN_HEADER, run.id().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        final ModelDiff.Counts counts;
        // The transaction opens with the first change, not before the model's statement: a model that takes long to
        // start answering does not eat into the transaction's timeout.
        final Transaction transaction = new Transaction();
        try (ModelRows model = ModelRows.open(source.connection(), source.sql(), sync.primaryKey(), control.statement(), source.timeout())) {
            counts = ModelDiff.run(model, state.hashes, full, new ModelDiff.Changes() {
                @Override
                public void upsert(final String key, final ObjectNode row, final long hash) {
                    transaction.begin();
                    // A row too large for Kafka would fail the whole transaction: the sink dead-letters it, the rest applies.
                    sink.send(ChangeRow.upsert(key, row, version, ts), runHeaders);
                    // A rejected row's hash is kept too: it is dead-lettered again only once it changes.
                    sink.sendAlong(new ProducerRecord<>(stateTopic, 0, key, SyncState.hashValue(hash)));
                }

                @Override
                public void delete(final String key) {
                    transaction.begin();
                    final ObjectNode keyOnly = Json.mapper().createObjectNode().put(sync.primaryKey(), key);
                    sink.send(ChangeRow.delete(key, keyOnly, version, ts), runHeaders);
                    sink.sendAlong(new ProducerRecord<>(stateTopic, 0, key, null));
                }
            });
            transaction.begin();
            sink.sendAlong(new ProducerRecord<>(stateTopic, 0, SyncState.META_KEY, SyncState.meta(version, fingerprint)));
            control.commit();
            sink.commit();
        } catch (final ProducerFencedException e) {
            throw e;
        } catch (final KafkaException e) {
            transaction.abort();
            throw new RunFailure("Kafka refused the run's changes (nothing was applied): " + e.getMessage());
        } catch (final SQLException | RuntimeException e) {
            transaction.abort();
            throw e;
        }
        state.lastRun = version;
        state.fingerprint = fingerprint;
        final long rejected = sink.counts().rejected();
        return run.succeeded(counts.read(), counts.upserts() - rejected, counts.deletes(), counts.unchanged(), rejected);
    }

    /**
     * What, when it changes, makes the next run a full resync: the model, the key, the collection and the mapping,
     * {@code include: "*"} with what it leaves out included. Without an inclusion the text is what it always was, so
     * an upgrade does not resync every query sync.
     */
    static String modelFingerprint(final SourceConfig.Query source, final SyncConfig sync) {
        final String inclusion = sync.includeAll().map(all -> "\ninclude * except " + new java.util.TreeSet<>(all.skipped())).orElse("");
        return SyncState.fingerprint(source.sql() + "\n" + sync.primaryKey() + "\n" + sync.collection() + "\n" + sync.mapping() + inclusion);
    }

    /** The run's Kafka transaction, begun at its first record. */
    private final class Transaction {
        private boolean begun;

        void begin() {
            if (!begun) {
                sink.begin();
                begun = true;
            }
        }

        void abort() {
            if (begun) {
                sink.abort();
            }
        }
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("Sync {} did not stop within 30s", sync.id());
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sink.close();
    }
}
