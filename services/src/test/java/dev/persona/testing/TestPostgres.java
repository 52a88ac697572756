package dev.persona.testing;

import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The PostgreSQL that CDC tests use, found in this order: {@code PERSONA_TEST_POSTGRES_URL}; a Testcontainers
 * PostgreSQL with {@code wal_level=logical} where a Docker engine runs; {@code localhost:5432} (database
 * {@code test}, user {@code postgres}). With none reachable the tests are skipped, except under {@code CI=true},
 * where that fails the build.
 */
public final class TestPostgres {
    private static final String LOCAL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
    private static String url;

    private TestPostgres() {
    }

    /** A JDBC URL of a reachable PostgreSQL, user and password included. */
    public static synchronized String url() {
        if (url == null) {
            url = locate();
        }
        return url;
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
        if (dockerAvailable()) {
            final PostgreSQLContainer container = new PostgreSQLContainer("postgres:16-alpine")
                    .withCommand("postgres", "-c", "wal_level=logical");
            container.start();
            return container.getJdbcUrl() + (container.getJdbcUrl().contains("?") ? "&" : "?")
                    + "user=" + container.getUsername() + "&password=" + container.getPassword();
        }
        try (Connection ignored = DriverManager.getConnection(LOCAL)) {
            return LOCAL;
        } catch (final SQLException e) {
            final String message = "no PostgreSQL: set PERSONA_TEST_POSTGRES_URL, run Docker, or start one on localhost:5432 ("
                    + e.getMessage() + ")";
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(message, e);
            }
            Assumptions.abort(message);
            return null;
        }
    }

    private static boolean dockerAvailable() {
        if (System.getenv("DOCKER_HOST") == null && !Files.exists(Path.of("/var/run/docker.sock"))) {
            return false;
        }
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (final RuntimeException | LinkageError e) {
            return false;
        }
    }
}
