package dev.persona.ingest.cdc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks what Debezium's PostgreSQL connector needs before it starts, and says how to fix what is missing:
 * {@code wal_level=logical}, a role with {@code REPLICATION} (or superuser), {@code SELECT} on the table, and a replica
 * identity that carries the sync's key column, without which deletes would arrive with no key and be lost.
 */
final class PostgresPreflight {
    private PostgresPreflight() {
    }

    /** The problem that stops CDC on this database, if any. */
    static Optional<String> check(final String jdbcUrl, final String table, final String primaryKey) throws SQLException {
        try (Connection db = Queries.connect(jdbcUrl)) {
            final Optional<String> wal = walLevelProblem(Queries.single(db, "show wal_level"));
            if (wal.isPresent()) {
                return wal;
            }
            final String user = Queries.single(db, "select current_user");
            final String replication = Queries.single(db, "select (rolreplication or rolsuper)::text from pg_roles where rolname = current_user");
            if (!"true".equals(replication)) {
                return Optional.of("PostgreSQL role '" + user + "' may not stream changes. Fix: ALTER ROLE " + user + " WITH REPLICATION;");
            }
            final String exists = Queries.single(db, "select (to_regclass(?) is not null)::text", table);
            if (!"true".equals(exists)) {
                return Optional.of("table '" + table + "' does not exist in this database. Fix: check source.table (schema.table)");
            }
            final String select = Queries.single(db, "select has_table_privilege(?, 'SELECT')::text", table);
            if (!"true".equals(select)) {
                return Optional.of("PostgreSQL role '" + user + "' may not read " + table + ". Fix: GRANT SELECT ON " + table + " TO " + user + ";");
            }
            return replicaIdentityProblem(table, primaryKey, Queries.single(db, "select relreplident::text from pg_class where oid = to_regclass(?)", table),
                    identityColumns(db, table));
        }
    }

    /** The documented error for a server whose {@code wal_level} is not {@code logical}. */
    static Optional<String> walLevelProblem(final String walLevel) {
        if ("logical".equals(walLevel)) {
            return Optional.empty();
        }
        return Optional.of("PostgreSQL has wal_level=" + walLevel + "; CDC needs logical. Fix: ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL");
    }

    /**
     * The problem with a table whose deletes would not carry the sync's key: PostgreSQL writes only the replica
     * identity's columns of a deleted row to the WAL (the primary key by default, nothing without one).
     *
     * @param identity        {@code relreplident}: {@code d} default (primary key), {@code f} full, {@code i} index, {@code n} nothing
     * @param identityColumns the columns of the primary key ({@code d}) or replica identity index ({@code i})
     */
    static Optional<String> replicaIdentityProblem(final String table, final String primaryKey, final String identity,
                                                   final List<String> identityColumns) {
        if ("f".equals(identity) || identityColumns.contains(primaryKey)) {
            return Optional.empty();
        }
        final String carries = "n".equals(identity) || identityColumns.isEmpty() ? "no column"
                : "only " + String.join(", ", identityColumns);
        return Optional.of("table " + table + "'s replica identity carries " + carries + " of a deleted row, not the sync's primaryKey '"
                + primaryKey + "', so deletes would arrive without a key and be lost. Fix: ALTER TABLE " + table
                + " REPLICA IDENTITY FULL; or key the sync on the table's primary key" + (identityColumns.isEmpty() || "n".equals(identity)
                ? "" : " (primaryKey: " + identityColumns.get(0) + ")"));
    }

    private static List<String> identityColumns(final Connection db, final String table) throws SQLException {
        final List<String> columns = new ArrayList<>();
        try (PreparedStatement statement = db.prepareStatement("""
                select a.attname from pg_index i join pg_class c on c.oid = i.indrelid
                join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
                where i.indrelid = to_regclass(?) and ((c.relreplident = 'd' and i.indisprimary) or (c.relreplident = 'i' and i.indisreplident))
                order by array_position(i.indkey::int2[], a.attnum)""")) {
            statement.setString(1, table);
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    columns.add(result.getString(1));
                }
            }
        }
        return columns;
    }
}
