package dev.persona.ingest.cdc;

import dev.persona.ingest.JdbcTimeouts;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The small catalog queries the preflights and the slot lag ask, with their parameters bound, never spliced into the
 * text, on connections that give up on a server that does not answer.
 */
final class Queries {
    /** A catalog query answers in milliseconds; a server silent this long is reported, not waited for. */
    static final Duration CONNECT = Duration.ofSeconds(10);
    static final Duration READ = Duration.ofSeconds(15);

    private Queries() {
    }

    /** A connection for catalog queries, with {@link #CONNECT} and {@link #READ} limits. */
    static Connection connect(final String url) throws SQLException {
        return DriverManager.getConnection(url, JdbcTimeouts.limited(url, new Properties(), CONNECT, READ));
    }

    /** The first column of the first row, or null when there is none. */
    static String single(final Connection db, final String sql, final String... parameters) throws SQLException {
        final List<String> values = column(db, sql, parameters);
        return values.isEmpty() ? null : values.get(0);
    }

    /** The first column of every row, in order. */
    static List<String> column(final Connection db, final String sql, final String... parameters) throws SQLException {
        final List<String> values = new ArrayList<>();
        try (PreparedStatement statement = db.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setString(i + 1, parameters[i]);
            }
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    values.add(result.getString(1));
                }
            }
        }
        return values;
    }
}
