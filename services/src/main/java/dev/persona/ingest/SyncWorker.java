package dev.persona.ingest;

/** Runs one sync on this instance while it owns it. */
public interface SyncWorker extends AutoCloseable {
    /** Starts a run now (query syncs); {@code full} sends every row, not just the changes. */
    void trigger(boolean full);

    /** Stops the run in progress, if any, applying nothing of it (query syncs; others have no runs to stop). */
    default void cancel() {
    }

    /** Stops the sync here; another instance may take it over. Never throws. */
    @Override
    void close();
}
