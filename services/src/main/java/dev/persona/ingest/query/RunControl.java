package dev.persona.ingest.query;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One query-sync run's stop switch, under one lock: a cancel or the timeout stops the run (its model's statement is
 * cancelled, its thread interrupted, its Kafka transaction aborts) until the run starts committing, and from then on
 * nothing does: an interrupt inside {@code commitTransaction} would leave it unknown whether the run was applied.
 */
final class RunControl {
    private static final Logger LOG = LoggerFactory.getLogger(RunControl.class);

    /** Why a run was stopped. */
    enum Stop {
        CANCELLED,
        TIMED_OUT
    }

    private final Thread runner;
    private final String sync;
    /** The model's statement while it runs: what a stop cancels. */
    private final AtomicReference<Statement> statement = new AtomicReference<>();
    private Stop stop;
    private boolean committing;

    RunControl(final Thread runner, final String sync) {
        this.runner = runner;
        this.sync = sync;
    }

    /** Where the model's statement is kept while it runs. */
    AtomicReference<Statement> statement() {
        return statement;
    }

    /**
     * Stops the run for {@code why}, unless it is committing, has ended, or was stopped already.
     *
     * @return whether this call stopped it
     */
    synchronized boolean stop(final Stop why) {
        if (committing || stop != null) {
            return false;
        }
        stop = why;
        final Statement running = statement.get();
        if (running != null) {
            try {
                running.cancel();
            } catch (final SQLException | RuntimeException e) {
                LOG.warn("Sync {}: cannot cancel the model's statement: {}", sync, e.getMessage());
            }
        }
        runner.interrupt();
        return true;
    }

    /**
     * From here the run commits and cannot be stopped.
     *
     * @throws RunFailure when it was stopped before: the run aborts instead
     */
    synchronized void commit() {
        committing = true;
        if (stop != null) {
            throw new RunFailure(stop == Stop.TIMED_OUT ? "timed out" : "cancelled");
        }
    }

    /** The run has ended: no stop reaches it any more. */
    synchronized void finished() {
        committing = true;
        statement.set(null);
    }

    /** Why the run was stopped; null when it was not. */
    synchronized Stop stopped() {
        return stop;
    }
}
