package dev.persona.ingest;

/**
 * One run of a sync, as the run history keeps it. A CDC sync has one long run per engine start.
 *
 * @param sync      the sync id
 * @param id        unique per sync; orders runs by start time
 * @param status    where it stands
 * @param trigger   what started it
 * @param full      whether every row was sent, not just the changes
 * @param instance  the instance that ran it
 * @param startedAt epoch milliseconds
 * @param endedAt   epoch milliseconds, or null while running
 * @param rowsRead  rows the model returned (query) or captured (CDC)
 * @param upserted  upserts produced
 * @param deleted   deletes produced
 * @param unchanged rows that matched the previous run and produced nothing
 * @param rejected  rows sent to the dead-letter topic instead (too large for Kafka, unreadable, a TRUNCATE)
 * @param error     what went wrong, or null
 */
public record SyncRun(String sync, String id, RunStatus status, RunTrigger trigger, boolean full, String instance,
                      long startedAt, Long endedAt, long rowsRead, long upserted, long deleted, long unchanged, long rejected,
                      String error) {

    /** A run that starts now. */
    public static SyncRun start(final String sync, final RunTrigger trigger, final boolean full, final String instance) {
        final long now = System.currentTimeMillis();
        return new SyncRun(sync, String.format("%013d-%04x", now, (int) (Math.random() * 0xffff)), RunStatus.RUNNING, trigger, full, instance,
                now, null, 0, 0, 0, 0, 0, null);
    }

    public SyncRun succeeded(final long read, final long ups, final long dels, final long same, final long rejects) {
        return new SyncRun(sync, id, RunStatus.SUCCEEDED, trigger, full, instance, startedAt, System.currentTimeMillis(), read, ups, dels, same, rejects,
                null);
    }

    public SyncRun failed(final String why) {
        return new SyncRun(sync, id, RunStatus.FAILED, trigger, full, instance, startedAt, System.currentTimeMillis(), rowsRead, upserted, deleted, unchanged, rejected,
                why);
    }

    /** Stopped on request: nothing of it was applied. */
    public SyncRun cancelled() {
        return new SyncRun(sync, id, RunStatus.CANCELLED, trigger, full, instance, startedAt, System.currentTimeMillis(), rowsRead, 0, 0, 0, 0,
                "cancelled on request; nothing of this run was applied");
    }

    /** The same run with its error cleared of secrets (a driver's message may quote the connection URL). */
    public SyncRun redacted(final dev.persona.config.Secrets secrets) {
        return error == null ? this : new SyncRun(sync, id, status, trigger, full, instance, startedAt, endedAt, rowsRead, upserted, deleted,
                unchanged, rejected, secrets.redact(error));
    }

    /** Whether it is still going. */
    public boolean isRunning() {
        return status == RunStatus.RUNNING;
    }

    /** The same run, still going, with new counts (CDC). */
    public SyncRun progressed(final long read, final long ups, final long dels, final long rejects) {
        return new SyncRun(sync, id, status, trigger, full, instance, startedAt, endedAt, read, ups, dels, unchanged, rejects, error);
    }
}
