package dev.persona.ingest;

/** Runs one sync on this instance while it owns it. */
public interface SyncWorker extends AutoCloseable {
    /**
     * Starts what a request asks: {@link RunTrigger#MANUAL}, a query sync's run now; {@link RunTrigger#FULL}, a full
     * resync (every row sent, not just the changes; a CDC sync's new snapshot of its table).
     */
    void trigger(RunTrigger trigger);

    /** Stops the run in progress, if any, applying nothing of it (query syncs; others have no runs to stop). */
    default void cancel() {
    }

    /** Stops the sync here; another instance may take it over. Never throws. */
    @Override
    void close();
}
