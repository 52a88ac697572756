package dev.persona.ingest.cdc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The small catalog queries the preflights ask, with their parameters bound, never spliced into the text. */
final class Queries {
    private Queries() {
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
