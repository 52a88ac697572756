package dev.persona.ingest;

import java.time.Duration;
import java.util.Locale;
import java.util.Properties;

/**
 * Time limits on the JDBC connections Persona opens to PostgreSQL, MySQL and MariaDB. Their drivers wait forever by
 * default for a server that accepted the TCP connection but does not answer (a hung server, a proxy whose backend is
 * gone), and a blocked socket read ignores {@link Thread#interrupt}: a sync's start, or a query sync's every later
 * run, would wait behind it for good. A limit the URL sets itself is left as the user wrote it.
 */
public final class JdbcTimeouts {
    private JdbcTimeouts() {
    }

    /**
     * {@code properties} with a connect limit and a read limit for the URL's driver, where Persona knows its settings.
     *
     * @param connect how long opening the connection (TCP and login) may take
     * @param read    how long any one read from the server may wait: longer than the slowest statement allowed
     */
    public static Properties limited(final String url, final Properties properties, final Duration connect, final Duration read) {
        final String lower = url.toLowerCase(Locale.ROOT);
        if (lower.startsWith("jdbc:postgresql:")) {
            // PgJDBC counts in seconds; loginTimeout bounds the whole login, connectTimeout the TCP connect.
            put(properties, lower, "connectTimeout", seconds(connect));
            put(properties, lower, "loginTimeout", seconds(connect));
            put(properties, lower, "socketTimeout", seconds(read));
        } else if (lower.startsWith("jdbc:mysql:") || lower.startsWith("jdbc:mariadb:")) {
            put(properties, lower, "connectTimeout", Long.toString(connect.toMillis()));
            put(properties, lower, "socketTimeout", Long.toString(read.toMillis()));
        }
        return properties;
    }

    private static String seconds(final Duration duration) {
        return Long.toString(Math.max(1, duration.toSeconds()));
    }

    private static void put(final Properties properties, final String lowerUrl, final String name, final String value) {
        if (!lowerUrl.contains(name.toLowerCase(Locale.ROOT) + "=") && !properties.containsKey(name)) {
            properties.setProperty(name, value);
        }
    }
}
