package dev.persona.ingest.query;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.sql.SQLException;

/**
 * What a query sync's run sends, worked out while the model streams by: the rows that are new or changed since the
 * previous successful run (every row when the run is full), then the keys that left the model. Rows are compared
 * by their 64-bit hash ({@link ModelRows#hash()}), so neither the previous run's rows nor this run's are kept, only
 * a hash per key ({@link RowHashes}); an unchanged row is never turned into JSON.
 *
 * <p>The hashes are updated as the rows go by: when the run is not committed, its caller must drop them and load
 * the last committed ones again.
 */
final class ModelDiff {
    /** Where the changes go. */
    interface Changes {
        /** A new or changed row, with the hash the state keeps for it. */
        void upsert(String key, ObjectNode row, long hash);

        /** A key that left the model. */
        void delete(String key);
    }

    /** What a run found. */
    record Counts(long read, long upserts, long deletes, long unchanged) {
    }

    private ModelDiff() {
    }

    /**
     * Streams the model through the diff.
     *
     * @param full send every row, changed or not
     * @throws RunFailure when the model holds a primary key twice (some of its rows may have been sent already)
     */
    static Counts run(final ModelRows model, final RowHashes hashes, final boolean full, final Changes changes) throws SQLException {
        hashes.startRun();
        long upserts = 0;
        long unchanged = 0;
        while (model.next()) {
            final String key = model.key();
            final long hash = model.hash();
            final int entry = hashes.find(key);
            if (entry >= 0 && hashes.markedThisRun(entry)) {
                throw new RunFailure("primary key '" + model.primaryKey() + "' = '" + key + "' appears twice; the model's primary key must be unique. Nothing was applied");
            }
            if (!full && entry >= 0 && hashes.hash(entry) == hash) {
                hashes.keep(entry);
                unchanged++;
            } else {
                hashes.put(key, hash);
                changes.upsert(key, model.row(), hash);
                upserts++;
            }
        }
        final long[] deletes = {0};
        hashes.forEachUnmarked(key -> {
            changes.delete(key);
            deletes[0]++;
        });
        hashes.removeUnmarked();
        return new Counts(model.read(), upserts, deletes[0], unchanged);
    }
}
