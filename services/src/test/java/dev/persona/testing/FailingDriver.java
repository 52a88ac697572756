package dev.persona.testing;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * A JDBC driver for {@code jdbc:persona-failing:<another JDBC URL>} that connects to the other URL, or, while a
 * test has set {@link #failWith}, throws what it supplies: the only way to make a warehouse throw an {@link Error}
 * (out of memory, a native failure) on demand. Call {@link #register()} first.
 */
public final class FailingDriver implements Driver {
    private static final FailingDriver INSTANCE = new FailingDriver();

    public static final String PREFIX = "jdbc:persona-failing:";
    private static final AtomicReference<Supplier<? extends Throwable>> FAILURE = new AtomicReference<>();

    /** Registers the driver with {@link DriverManager}; more calls do nothing. */
    public static synchronized void register() {
        try {
            if (DriverManager.drivers().noneMatch(d -> d == INSTANCE)) {
                DriverManager.registerDriver(INSTANCE);
            }
        } catch (final SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Makes every connect throw what {@code failure} supplies, until {@link #succeed()}. */
    public static void failWith(final Supplier<? extends Throwable> failure) {
        FAILURE.set(failure);
    }

    /** Connects normally again. */
    public static void succeed() {
        FAILURE.set(null);
    }

    @Override
    public Connection connect(final String url, final Properties info) throws SQLException {
        if (!acceptsURL(url)) {
            return null;
        }
        final Supplier<? extends Throwable> failure = FAILURE.get();
        if (failure != null) {
            final Throwable thrown = failure.get();
            if (thrown instanceof Error error) {
                throw error;
            }
            if (thrown instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new SQLException(thrown);
        }
        return DriverManager.getConnection(url.substring(PREFIX.length()), info);
    }

    @Override
    public boolean acceptsURL(final String url) {
        return url != null && url.startsWith(PREFIX);
    }

    @Override
    public DriverPropertyInfo[] getPropertyInfo(final String url, final Properties info) {
        return new DriverPropertyInfo[0];
    }

    @Override
    public int getMajorVersion() {
        return 1;
    }

    @Override
    public int getMinorVersion() {
        return 0;
    }

    @Override
    public boolean jdbcCompliant() {
        return false;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }
}
