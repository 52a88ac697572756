package dev.persona.testing;

import org.junit.jupiter.api.Assumptions;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * The PostgreSQL that CDC tests use: {@code PERSONA_TEST_POSTGRES_URL} when set, else one private
 * {@link PostgresCluster} per JVM (its own data directory, port and {@code wal_level=logical}), so the machine's
 * PostgreSQL is neither needed nor changed. With neither to be had the tests are skipped with the reason, except
 * under {@code CI=true}, where that fails the build.
 */
public final class TestPostgres {
    private static String url;
    private static PostgresCluster cluster;

    private TestPostgres() {
    }

    /** A JDBC URL of a reachable PostgreSQL with {@code wal_level=logical}, user included. */
    public static synchronized String url() {
        if (url == null) {
            url = locate();
        }
        return url;
    }

    /** The private cluster behind {@link #url()}, which tests may stop and kill; empty when a URL was given. */
    public static synchronized Optional<PostgresCluster> cluster() {
        url();
        return Optional.ofNullable(cluster);
    }

    /** Runs statements on the test database. */
    public static void execute(final String... statements) {
        try (Connection db = DriverManager.getConnection(url()); Statement statement = db.createStatement()) {
            for (final String sql : statements) {
                statement.execute(sql);
            }
        } catch (final SQLException e) {
            throw new IllegalStateException("PostgreSQL: " + e.getMessage(), e);
        }
    }

    private static String locate() {
        final String given = System.getenv("PERSONA_TEST_POSTGRES_URL");
        if (given != null && !given.isBlank()) {
            return given;
        }
        try {
            cluster = PostgresCluster.start();
            return cluster.url();
        } catch (final RuntimeException e) {
            final String message = "no PostgreSQL for CDC tests: " + e.getMessage();
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(message, e);
            }
            System.err.println("Skipping: " + message);
            Assumptions.abort(message);
            return null;
        }
    }
}
