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

    public void execute(final String... statements) {
        try (Connection db = DriverManager.getConnection(url()); Statement statement = db.createStatement()) {
            for (final String sql : statements) {
                statement.execute(sql);
            }
        } catch (final SQLException e) {
            throw new IllegalStateException("DuckDB: " + e.getMessage(), e);
        }
    }
}
