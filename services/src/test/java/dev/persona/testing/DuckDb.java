package dev.persona.testing;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/** A DuckDB warehouse file that tests write to, one short connection per call (Persona reads it read-only). */
public final class DuckDb {
    private final Path file;

    public DuckDb(final Path file) {
        this.file = file;
    }

    public String url() {
        return "jdbc:duckdb:" + file;
    }

    /**
     * Runs statements in one connection. While a query sync in the same JVM holds the file open read-only, DuckDB
     * refuses a connection of another configuration: that is retried for up to 30 s.
     */
    public void execute(final String... statements) {
        final long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
        while (true) {
            try (Connection db = DriverManager.getConnection(url()); Statement statement = db.createStatement()) {
                for (final String sql : statements) {
                    statement.execute(sql);
                }
                return;
            } catch (final SQLException e) {
                if (!String.valueOf(e.getMessage()).contains("different configuration") || System.nanoTime() > deadline) {
                    throw new IllegalStateException("DuckDB: " + e.getMessage(), e);
                }
                java.util.concurrent.locks.LockSupport.parkNanos(20_000_000);
            }
        }
    }
}
