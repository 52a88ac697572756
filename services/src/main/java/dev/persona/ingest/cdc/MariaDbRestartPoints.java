package dev.persona.ingest.cdc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Pattern;

/**
 * Where a MariaDB binary log can be read again from without losing a change: the start of the transaction that holds
 * a position. Debezium's MySQL connector places its restart offset on the {@code BEGIN} of the transaction it is in,
 * then counts the events and rows to skip; MariaDB sends a replica that understands its GTIDs (as Debezium's binlog
 * client does) a GTID event in place of that {@code BEGIN}, so the connector believes every event stands alone and
 * records, for the last row of a transaction, "after this event, skip one row": a restart then skips the first row of
 * the next transaction (seen in {@code MariaDbCdcIT}). Persona commits instead the position of the transaction's GTID
 * event: a restart reads that transaction again (its rows carry the same versions, so a replay changes nothing) and
 * loses nothing. Positions come from {@code SHOW BINLOG EVENTS}, read forward from the last one found.
 */
final class MariaDbRestartPoints implements AutoCloseable {
    /** The first event of every binary log file is at this position. */
    static final long FILE_START = 4;
    private static final int PAGE = 5_000;
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9._-]+");

    private final String url;
    private Connection db;
    private String file;
    /** The last transaction start (a GTID event, or the file's start) found at or before {@link #scanned}. */
    private long start;
    /** Every event before this position has been looked at. */
    private long scanned;

    private MariaDbRestartPoints(final String url) {
        this.url = url;
    }

    /** Restart points for the server a URL names, or null when it is not MariaDB (MySQL's log has its {@code BEGIN}s). */
    static MariaDbRestartPoints forServer(final String url) throws SQLException {
        try (Connection db = Queries.connect(url)) {
            return BinlogJdbcDriver.isMariaDb(Queries.single(db, "select version()")) ? new MariaDbRestartPoints(url) : null;
        }
    }

    /**
     * The position of the last transaction start at or before {@code position} in {@code file}: a GTID event, or the
     * file's start when the file has none before it.
     */
    synchronized long transactionStart(final String file, final long position) throws SQLException {
        if (!FILE_NAME.matcher(file).matches()) {
            throw new SQLException("not a binary log file name: '" + file + "'");
        }
        if (!file.equals(this.file) || position < start) {
            this.file = file;
            start = FILE_START;
            scanned = FILE_START;
        }
        try {
            while (scanned <= position) {
                if (!scanPage(position)) {
                    break;
                }
            }
        } catch (final SQLException e) {
            close();
            throw e;
        }
        return start;
    }

    /** Looks at up to {@link #PAGE} events from {@link #scanned}; false when there were none left to look at. */
    private boolean scanPage(final long position) throws SQLException {
        if (db == null || db.isClosed()) {
            db = Queries.connect(url);
        }
        boolean any = false;
        try (Statement statement = db.createStatement();
             ResultSet events = statement.executeQuery("show binlog events in '" + file + "' from " + scanned + " limit " + PAGE)) {
            while (events.next()) {
                final long at = events.getLong("Pos");
                if (at > position) {
                    return false;
                }
                any = true;
                if ("Gtid".equalsIgnoreCase(events.getString("Event_type"))) {
                    start = at;
                }
                scanned = events.getLong("End_log_pos");
            }
        }
        return any;
    }

    @Override
    public synchronized void close() {
        if (db != null) {
            try {
                db.close();
            } catch (final SQLException ignored) {
                // Closing a connection that failed; nothing is left to release.
            }
            db = null;
        }
    }
}
