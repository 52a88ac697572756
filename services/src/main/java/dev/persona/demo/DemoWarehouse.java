package dev.persona.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The demo's warehouse: a DuckDB file with {@code profiles} (one row per customer; customer 1 is the Hightouch
 * page's Jane Doe) and {@code events} (about ten per customer), generated in SQL, the same on every run.
 */
public final class DemoWarehouse {
    private DemoWarehouse() {
    }

    /**
     * Creates the warehouse when the file does not exist yet; an existing one (and the user's edits) is kept.
     *
     * @return true when it was created now
     */
    public static boolean createIfMissing(final Path file, final int customers) {
        if (Files.exists(file)) {
            return false;
        }
        // Built aside and moved into place, so a failed start never leaves a half-made warehouse behind.
        final Path building = file.resolveSibling(file.getFileName() + ".building");
        try {
            Files.createDirectories(file.getParent());
            Files.deleteIfExists(building);
            Files.deleteIfExists(building.resolveSibling(building.getFileName() + ".wal"));
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot prepare " + file, e);
        }
        try (Connection db = DriverManager.getConnection("jdbc:duckdb:" + building); Statement sql = db.createStatement()) {
            sql.execute("""
                    create table profiles (id integer primary key, name varchar, email varchar, ltv decimal(12, 3),
                                           churn_risk decimal(4, 2), summary json)""");
            sql.execute("""
                    insert into profiles values (1, 'Jane Doe', 'jane.doe@example.com', 1492.184, 0.04,
                      '{"num_songs_listened": 813, "top_genres": ["house", "techno", "ambient"], "top_artists": ["deadmau5", "Marsh", "Enamour"]}')""");
            sql.execute("""
                    insert into profiles
                    select i,
                           first || ' ' || last,
                           lower(first) || '.' || lower(last) || i || '@example.com',
                           round((hash(i, 'ltv') %% 500000) / 100.0, 3),
                           round((hash(i, 'churn') %% 100) / 100.0, 2),
                           json_object('num_songs_listened', (hash(i, 'songs') %% 2000)::integer,
                                       'top_genres', [genres[1 + (hash(i, 'g1') %% 8)::integer], genres[1 + (hash(i, 'g2') %% 8)::integer]],
                                       'top_artists', [artists[1 + (hash(i, 'a1') %% 8)::integer], artists[1 + (hash(i, 'a2') %% 8)::integer]])
                    from (select i,
                                 ['Jane', 'John', 'Ada', 'Grace', 'Alan', 'Linus', 'Maya', 'Omar', 'Lena', 'Kai'][1 + (hash(i, 'first') %% 10)::integer] as first,
                                 ['Doe', 'Smith', 'Lovelace', 'Hopper', 'Turing', 'Okafor', 'Rossi', 'Novak', 'Garcia', 'Chen'][1 + (hash(i, 'last') %% 10)::integer] as last,
                                 ['house', 'techno', 'ambient', 'jazz', 'hip hop', 'indie', 'classical', 'drum and bass'] as genres,
                                 ['deadmau5', 'Marsh', 'Enamour', 'Aphex Twin', 'Bonobo', 'Floating Points', 'Jon Hopkins', 'Four Tet'] as artists
                          from range(2, %d) t(i))""".formatted(customers + 1));
            sql.execute("create table events (user_id integer, ts timestamp, kind varchar)");
            sql.execute("""
                    insert into events
                    select 1 + (i %% %d), timestamp '2026-10-01 00:00:00' + to_seconds((hash(i) %% 4000000)::bigint), 'message_sent'
                    from range(0, %d) t(i)""".formatted(customers, customers * 10L));
            sql.execute("checkpoint");
        } catch (final SQLException e) {
            throw new IllegalStateException("cannot create the demo warehouse " + file + ": " + e.getMessage(), e);
        }
        try {
            Files.move(building, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot move the demo warehouse into place at " + file, e);
        }
        return true;
    }
}
