package dev.persona.ingest.query;

import dev.persona.config.SourceConfig;
import dev.persona.ingest.DriverMessage;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;

/**
 * What would stop a query sync's runs, asked of its warehouse without running the model (which may be costly): that
 * a loaded driver accepts the URL and the warehouse accepts the login. {@code persona validate --connect} asks it.
 */
public final class QueryPreflight {
    /** A login answers in seconds; a warehouse silent this long is reported, not waited for. */
    private static final java.time.Duration LOGIN_READ = java.time.Duration.ofSeconds(15);

    private QueryPreflight() {
    }

    /** The problem that stops this source's runs, if any; a refused login or an unreachable host is one. */
    public static Optional<String> problem(final SourceConfig.Query source) {
        try (Connection db = ModelRows.connect(source.connection(), LOGIN_READ)) {
            return Optional.empty();
        } catch (final SQLException e) {
            return Optional.of("cannot connect to the warehouse: " + DriverMessage.of(e) + ". Fix: check source.connection (host, port, "
                    + "database, user, password or token) and that this machine reaches the warehouse");
        }
    }
}
