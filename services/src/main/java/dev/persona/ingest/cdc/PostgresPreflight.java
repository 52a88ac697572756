package dev.persona.ingest.cdc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Checks what Debezium's PostgreSQL connector needs before it starts, and says how to fix what is missing:
 * {@code wal_level=logical}, a role with {@code REPLICATION} (or superuser), and {@code SELECT} on the table.
 */
final class PostgresPreflight {
    private PostgresPreflight() {
    }

    /** The problem that stops CDC on this database, if any. */
    static Optional<String> check(final String jdbcUrl, final String table) throws SQLException {
        try (Connection db = DriverManager.getConnection(jdbcUrl)) {
            final Optional<String> wal = walLevelProblem(single(db, "show wal_level", null));
            if (wal.isPresent()) {
                return wal;
            }
            final String user = single(db, "select current_user", null);
            final String replication = single(db, "select (rolreplication or rolsuper)::text from pg_roles where rolname = current_user", null);
            if (!"true".equals(replication)) {
                return Optional.of("PostgreSQL role '" + user + "' may not stream changes. Fix: ALTER ROLE " + user + " WITH REPLICATION;");
            }
            final String exists = single(db, "select (to_regclass(?) is not null)::text", table);
            if (!"true".equals(exists)) {
                return Optional.of("table '" + table + "' does not exist in this database. Fix: check source.table (schema.table)");
            }
            final String select = single(db, "select has_table_privilege(?, 'SELECT')::text", table);
            if (!"true".equals(select)) {
                return Optional.of("PostgreSQL role '" + user + "' may not read " + table + ". Fix: GRANT SELECT ON " + table + " TO " + user + ";");
            }
            return Optional.empty();
        }
    }

    /** The documented error for a server whose {@code wal_level} is not {@code logical}. */
    static Optional<String> walLevelProblem(final String walLevel) {
        if ("logical".equals(walLevel)) {
            return Optional.empty();
        }
        return Optional.of("PostgreSQL has wal_level=" + walLevel + "; CDC needs logical. Fix: ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL");
    }

    private static String single(final Connection db, final String sql, final String parameter) throws SQLException {
        try (PreparedStatement statement = db.prepareStatement(sql)) {
            if (parameter != null) {
                statement.setString(1, parameter);
            }
            try (ResultSet result = statement.executeQuery()) {
                return result.next() ? result.getString(1) : null;
            }
        }
    }
}
