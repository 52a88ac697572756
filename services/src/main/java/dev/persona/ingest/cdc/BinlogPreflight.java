package dev.persona.ingest.cdc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Checks what Debezium's MySQL connector needs of a server before capture starts, and says how to fix what is
 * missing: the binary log on, in {@code ROW} format with {@code FULL} row images, a user who may read it
 * ({@code REPLICATION SLAVE}, {@code REPLICATION CLIENT} or MariaDB's {@code BINLOG MONITOR}, and {@code SELECT}) and
 * lock tables for the snapshot's consistent read ({@code RELOAD} or {@code LOCK TABLES}), and a table with a primary key
 * in an engine that logs its rows. MySQL and MariaDB alike: both are read by Debezium's MySQL connector.
 */
final class BinlogPreflight {
    /** Storage engines whose rows never reach the binary log as changes Persona could apply. */
    private static final List<String> UNCAPTURED_ENGINES = List.of("BLACKHOLE", "MEMORY", "FEDERATED", "CONNECT", "SEQUENCE");

    private BinlogPreflight() {
    }

    /**
     * The problem that stops CDC on this server, if any.
     *
     * @param table {@code database.table}
     */
    static Optional<String> check(final String jdbcUrl, final String table, final String primaryKey) throws SQLException {
        try (Connection db = Queries.connect(jdbcUrl)) {
            final Optional<String> binlog = binlogProblem(variable(db, "log_bin"), variable(db, "binlog_format"), variable(db, "binlog_row_image"));
            if (binlog.isPresent()) {
                return binlog;
            }
            final String user = Queries.single(db, "select current_user()");
            final Optional<String> grants = grantsProblem(user, Queries.column(db, "show grants"));
            if (grants.isPresent()) {
                return grants;
            }
            final int dot = table.indexOf('.');
            if (dot <= 0) {
                return Optional.of("source.table '" + table + "' names no database. Fix: write it as database.table");
            }
            final String schema = table.substring(0, dot);
            final String name = table.substring(dot + 1);
            final String engine = Queries.single(db, "select engine from information_schema.tables where table_schema = ? and table_name = ?",
                    schema, name);
            if (engine == null) {
                return Optional.of("table '" + table + "' does not exist, or user " + user + " may not see it. Fix: check source.table "
                        + "(database.table), then GRANT SELECT ON " + table + " TO " + user + ";");
            }
            if (UNCAPTURED_ENGINES.contains(engine.toUpperCase(Locale.ROOT))) {
                return Optional.of("table " + table + " uses the " + engine + " engine, whose rows Persona cannot capture from the binary log. "
                        + "Fix: ALTER TABLE " + table + " ENGINE=InnoDB;");
            }
            // MariaDB's own types; MySQL 9's VECTOR is MySQL's, which its grammar knows.
            final List<String> unparsed = BinlogJdbcDriver.isMariaDb(Queries.single(db, "select version()"))
                    ? Queries.column(db, "select concat(column_name, ' ', data_type) from information_schema.columns "
                    + "where table_schema = ? and table_name = ? and lower(data_type) in ('uuid', 'inet4', 'inet6', 'vector') "
                    + "order by ordinal_position", schema, name)
                    : List.of();
            if (!unparsed.isEmpty()) {
                return Optional.of(typesProblem(table, unparsed));
            }
            final List<String> key = Queries.column(db, "select column_name from information_schema.key_column_usage "
                    + "where table_schema = ? and table_name = ? and constraint_name = 'PRIMARY' order by ordinal_position", schema, name);
            if (key.isEmpty()) {
                return Optional.of("table " + table + " has no primary key, so its updates and deletes cannot be matched to records. Fix: "
                        + "ALTER TABLE " + table + " ADD PRIMARY KEY (" + primaryKey + ");");
            }
            return Optional.empty();
        }
    }

    /**
     * The documented error for MariaDB column types that Debezium's MySQL connector cannot parse in the table's
     * {@code CREATE TABLE} (its grammar is MySQL's), each given as {@code "column type"}.
     */
    static String typesProblem(final String table, final List<String> columns) {
        final String first = columns.get(0);
        final String column = first.substring(0, first.indexOf(' '));
        final String type = first.substring(first.indexOf(' ') + 1).toLowerCase(Locale.ROOT);
        final String replacement = switch (type) {
            case "uuid" -> "CHAR(36)";
            case "inet4" -> "VARCHAR(15)";
            case "inet6" -> "VARCHAR(45)";
            default -> "BLOB";
        };
        return "table " + table + " has MariaDB column types that CDC cannot read (" + String.join(", ", columns) + "): Debezium's MySQL "
                + "connector cannot parse them. Fix: ALTER TABLE " + table + " MODIFY " + column + " " + replacement + "; (and so for each; "
                + "if the sync captured the table before, give it a new id too, so that it reads the table afresh), or read the table with a "
                + "query sync";
    }

    /** The documented error for a server whose binary log is off, not in ROW format, or without full row images. */
    static Optional<String> binlogProblem(final String logBin, final String format, final String rowImage) {
        if (!"ON".equalsIgnoreCase(logBin)) {
            return Optional.of("the server's binary log is off (log_bin=" + logBin + "); CDC reads it. Fix: start the server with "
                    + "log_bin=ON (MariaDB: log-bin in my.cnf), binlog_format=ROW and binlog_row_image=FULL, then restart it");
        }
        if (!"ROW".equalsIgnoreCase(format)) {
            return Optional.of("the server logs statements (binlog_format=" + format + "), not rows; CDC needs ROW. Fix: SET GLOBAL "
                    + "binlog_format = 'ROW'; and binlog_format=ROW in my.cnf so that it survives a restart");
        }
        if (rowImage != null && !"FULL".equalsIgnoreCase(rowImage)) {
            return Optional.of("the server logs partial row images (binlog_row_image=" + rowImage + "); an update would lose the columns it "
                    + "did not change. Fix: SET GLOBAL binlog_row_image = 'FULL'; and in my.cnf");
        }
        return Optional.empty();
    }

    /**
     * The documented error for a user who may not read the binary log, or may not lock the table while the snapshot
     * notes its binary log position ({@code FLUSH TABLES WITH READ LOCK} needs {@code RELOAD}; Debezium falls back to
     * {@code LOCK TABLES} without it).
     */
    static Optional<String> grantsProblem(final String user, final List<String> grants) {
        final String all = String.join("\n", grants).toUpperCase(Locale.ROOT);
        final boolean everything = all.contains("GRANT ALL PRIVILEGES ON *.*");
        final boolean slave = everything || all.contains("REPLICATION SLAVE") || all.contains("REPLICATION REPLICA");
        final boolean client = everything || all.contains("REPLICATION CLIENT") || all.contains("BINLOG MONITOR") || all.contains("SUPER");
        final String quoted = quoted(user);
        if (!slave || !client) {
            return Optional.of("user " + quoted + " may not read the binary log (it lacks " + (slave ? "" : "REPLICATION SLAVE")
                    + (!slave && !client ? " and " : "") + (client ? "" : "REPLICATION CLIENT") + "). Fix: GRANT REPLICATION SLAVE, "
                    + "REPLICATION CLIENT ON *.* TO " + quoted + ";");
        }
        if (!everything && !all.contains("RELOAD") && !all.contains("LOCK TABLES")) {
            return Optional.of("user " + quoted + " may not lock tables (it lacks RELOAD and LOCK TABLES), which the first read of the "
                    + "table needs to note where in the binary log it was taken. Fix: GRANT RELOAD ON *.* TO " + quoted + ";");
        }
        return Optional.empty();
    }

    private static String quoted(final String user) {
        final int at = user.lastIndexOf('@');
        return at < 0 ? "'" + user + "'" : "'" + user.substring(0, at) + "'@'" + user.substring(at + 1) + "'";
    }

    private static String variable(final Connection db, final String name) throws SQLException {
        try (PreparedStatement statement = db.prepareStatement("show global variables like ?")) {
            statement.setString(1, name);
            try (ResultSet result = statement.executeQuery()) {
                return result.next() ? result.getString(2) : null;
            }
        }
    }
}
