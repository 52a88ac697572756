package dev.persona.bench;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

/**
 * CDC freshness and throughput against a real PostgreSQL (wal_level=logical): the time from a committed update
 * to the new value visible through the API, p50/p99 over {@code --changes} updates made one after another; then
 * the rows per second of one large insert, from its commit until its last row is visible.
 * <p>
 * Usage: {@code bench/run freshness [--postgres JDBC_URL] [--changes 300] [--bulk 50000]}; the default PostgreSQL is
 * {@code $PERSONA_TEST_POSTGRES_URL} or {@code jdbc:postgresql://127.0.0.1:5432/test?user=postgres}.
 */
public final class FreshnessBenchmark {
    private static final String KEY = "freshness-bench";

    private FreshnessBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        final Map<String, String> options = Options.parse(args);
        final String postgres = options.getOrDefault("postgres", System.getenv().getOrDefault("PERSONA_TEST_POSTGRES_URL",
                "jdbc:postgresql://127.0.0.1:5432/test?user=postgres"));
        measure(postgres, Integer.parseInt(options.getOrDefault("changes", "300")), Integer.parseInt(options.getOrDefault("bulk", "50000")), null);
    }

    /** What one run measured: commit-to-visible latency in microseconds, and the bulk insert's rate. */
    public record Figures(Histogram latencyMicros, int changes, int bulkRows, double bulkRowsPerSecond) {
    }

    /**
     * Measures freshness and bulk throughput, printing both.
     *
     * @param bootstrap a Kafka cluster to use; null starts the embedded broker
     */
    public static Figures measure(final String postgres, final int changes, final int bulk, final String bootstrap) throws Exception {
        final String sync = "fresh" + Long.toString(System.nanoTime() % 1_000_000, 36);
        final String table = "persona_bench_" + sync;
        final Path home = Files.createTempDirectory("persona-freshness");
        sql(postgres, "create table " + table + " (id int primary key, name text)", "insert into " + table + " values (0, 'seed')");
        final String kafka = bootstrap == null ? "" : """
                kafka:
                  bootstrapServers: %s
                  applicationId: bench-%s
                  topicPrefix: bench-%s
                """.formatted(bootstrap, sync, sync);
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).parse(home.resolve("bench.yaml"), kafka + """
                collections:
                  - { name: rows, primaryIndex: id, partitions: 6 }
                syncs:
                  - id: %s
                    collection: rows
                    source: { type: cdc, connection: "%s", table: public.%s }
                    primaryKey: id
                    mapping: [ { from: name } ]
                    onDelete: delete_record
                """.formatted(sync, postgres, table));
        try (PersonaInstance instance = PersonaInstance.start(config, InstanceOptions.local(home.resolve("state"), home).withAdminKey(KEY))) {
            final HttpClient client = HttpClient.newHttpClient();
            final String base = "http://127.0.0.1:" + instance.port() + "/v1/collections/rows/records/id/";
            awaitValue(client, base + "0", "seed", Duration.ofMinutes(2));
            final Histogram latency = new Histogram(3);
            try (Connection db = DriverManager.getConnection(postgres); Statement statement = db.createStatement()) {
                for (int i = 1; i <= changes; i++) {
                    final String value = "v" + i;
                    statement.execute("insert into " + table + " values (" + (i % 50 + 1) + ", '" + value + "') "
                            + "on conflict (id) do update set name = excluded.name");
                    final long committed = System.nanoTime();
                    awaitValue(client, base + (i % 50 + 1), value, Duration.ofSeconds(30));
                    latency.recordValue((System.nanoTime() - committed) / 1_000);
                }
                System.out.printf("freshness (commit -> visible via API), %d changes:  p50 %.1f ms   p99 %.1f ms   max %.1f ms%n", changes,
                        latency.getValueAtPercentile(50) / 1000.0, latency.getValueAtPercentile(99) / 1000.0, latency.getMaxValue() / 1000.0);
                statement.execute("insert into " + table + " select g, 'bulk' || g from generate_series(100000, " + (100000 + bulk - 1) + ") g");
                final long committed = System.nanoTime();
                awaitValue(client, base + (100000 + bulk - 1), "bulk" + (100000 + bulk - 1), Duration.ofMinutes(10));
                final double seconds = (System.nanoTime() - committed) / 1e9;
                System.out.printf("CDC throughput: %,d inserted rows visible via API in %.2f s = %,.0f rows/s%n", bulk, seconds, bulk / seconds);
                return new Figures(latency, changes, bulk, bulk / seconds);
            }
        } finally {
            sql(postgres, "select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = 'persona_" + sync + "'",
                    "drop publication if exists persona_" + sync, "drop table if exists " + table);
            Options.deleteTree(home);
        }
    }

    private static void awaitValue(final HttpClient client, final String url, final String value, final Duration timeout)
            throws IOException, InterruptedException {
        final HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + KEY).build();
        final String expected = "\"name\":\"" + value + "\"";
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (client.send(request, HttpResponse.BodyHandlers.ofString()).body().contains(expected)) {
                return;
            }
            Thread.sleep(1);
        }
        throw new IllegalStateException(url + " did not show " + value + " within " + timeout.toSeconds() + "s");
    }

    private static void sql(final String url, final String... statements) throws SQLException {
        try (Connection db = DriverManager.getConnection(url); Statement statement = db.createStatement()) {
            for (final String s : statements) {
                statement.execute(s);
            }
        }
    }
}
