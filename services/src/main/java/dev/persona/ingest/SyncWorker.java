package dev.persona.ingest;

/** Runs one sync on this instance while it owns it. */
public interface SyncWorker extends AutoCloseable {
    /** Starts a run now (query syncs); {@code full} sends every row, not just the changes. */
    void trigger(boolean full);

    /** Stops the sync here; another instance may take it over. Never throws. */
    @Override
    void close();
}
