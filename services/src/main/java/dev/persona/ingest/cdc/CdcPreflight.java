package dev.persona.ingest.cdc;

import dev.persona.config.SourceConfig;
import dev.persona.ingest.DriverMessage;

import java.sql.SQLException;
import java.util.Optional;

/**
 * What would stop a CDC sync from capturing, asked of its database before Debezium starts: the binary log of MySQL
 * ({@code jdbc:mysql://}), or PostgreSQL's logical decoding. Each problem names its fix. Both a sync's start and
 * {@code persona validate --connect} ask it.
 */
public final class CdcPreflight {
    private CdcPreflight() {
    }

    /**
     * The problem that stops CDC of this source, if any.
     *
     * @param primaryKey the sync's key column, which the table must identify rows by
     * @throws SQLException when the database cannot be reached or refuses the login
     */
    public static Optional<String> problem(final SourceConfig.Cdc source, final String primaryKey) throws SQLException {
        return source.readsBinaryLog()
                ? BinlogPreflight.check(source.connection(), source.table(), primaryKey)
                : PostgresPreflight.check(source.connection(), source.table(), primaryKey);
    }

    /** The problem when the database cannot be reached or refuses the login, with what to check. */
    public static String cannotConnect(final SourceConfig.Cdc source, final SQLException failure) {
        return "cannot connect to " + (source.readsBinaryLog() ? "the database" : "PostgreSQL") + ": "
                + DriverMessage.of(failure) + ". Fix: check source.connection (host, port, database, user, password) and that "
                + "this machine reaches the database";
    }
}
