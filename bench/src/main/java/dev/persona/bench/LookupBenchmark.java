package dev.persona.bench;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.DemoConfig;
import dev.persona.runtime.DemoWarehouse;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Lookup throughput and latency against a Persona instance holding the demo's customers: random primary-key
 * lookups (single, then batches of 50) from N keep-alive connections for a fixed time after a warm-up.
 * <p>
 * Usage: {@code bench/run lookup [--records N] [--connections C] [--seconds S] [--warmup S] [--url URL --key KEY]}.
 * Without {@code --url} it starts its own instance (embedded broker, demo data) in this JVM; the load generator then
 * shares the machine's cores with the server, so figures are a floor.
 */
public final class LookupBenchmark {
    private LookupBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        final Map<String, String> options = Options.parse(args);
        final int records = Integer.parseInt(options.getOrDefault("records", "10000"));
        final int connections = Integer.parseInt(options.getOrDefault("connections", "32"));
        final int seconds = Integer.parseInt(options.getOrDefault("seconds", "15"));
        final int warmup = Integer.parseInt(options.getOrDefault("warmup", "5"));
        PersonaInstance instance = null;
        Path home = null;
        String url = options.get("url");
        String key = options.get("key");
        List<String> emails = List.of();
        try {
            if (url == null) {
                home = Files.createTempDirectory("persona-bench");
                final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).load(DemoConfig.writeConfig(home));
                DemoWarehouse.createIfMissing(DemoConfig.warehouse(home), records);
                key = "bench-admin-key";
                instance = PersonaInstance.start(config, InstanceOptions.local(home.resolve("state"), home).withAdminKey(key));
                url = "http://127.0.0.1:" + instance.port();
                System.out.printf("Loading %,d customers (two query syncs over DuckDB) ...%n", records);
                awaitLoaded(url, key, records);
                emails = emails(DemoConfig.warehouse(home));
            }
            System.out.printf("Target %s, %d connections, %ds warm-up, %ds measured, %,d records%n", url, connections, warmup, seconds, records);
            final String base = url;
            final String auth = "Bearer " + key;
            final Result single = run(connections, warmup, seconds, () -> HttpRequest.newBuilder(
                    URI.create(base + "/v1/collections/customers/records/id/" + (1 + ThreadLocalRandom.current().nextInt(records))))
                    .header("Authorization", auth).GET().build());
            single.print("single lookup");
            if (emails.isEmpty()) {
                System.out.println("(index lookups need the demo warehouse: run without --url)");
            } else {
                final List<String> byEmail = emails;
                final Result index = run(connections, warmup, seconds, () -> HttpRequest.newBuilder(
                        URI.create(base + "/v1/collections/customers/records/email/" + byEmail.get(ThreadLocalRandom.current().nextInt(byEmail.size()))))
                        .header("Authorization", auth).GET().build());
                index.print("by email");
            }
            final Result batch = run(connections, warmup, seconds, () -> HttpRequest.newBuilder(
                    URI.create(base + "/v1/collections/customers/records/batch"))
                    .header("Authorization", auth).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(batchBody(records, 50))).build());
            batch.print("batch of 50");
        } finally {
            if (instance != null) {
                instance.close();
            }
            if (home != null) {
                Options.deleteTree(home);
            }
        }
    }

    private static List<String> emails(final Path warehouse) throws java.sql.SQLException {
        final java.util.Properties readOnly = new java.util.Properties();
        readOnly.put("duckdb.read_only", "true");
        final List<String> emails = new ArrayList<>();
        try (java.sql.Connection db = java.sql.DriverManager.getConnection("jdbc:duckdb:" + warehouse, readOnly);
             java.sql.Statement statement = db.createStatement();
             java.sql.ResultSet rows = statement.executeQuery("select email from profiles")) {
            while (rows.next()) {
                emails.add(rows.getString(1));
            }
        }
        return emails;
    }

    private static String batchBody(final int records, final int size) {
        final StringBuilder ids = new StringBuilder("{\"ids\":[");
        for (int i = 0; i < size; i++) {
            ids.append(i == 0 ? "" : ",").append('"').append(1 + ThreadLocalRandom.current().nextInt(records)).append('"');
        }
        return ids.append("]}").toString();
    }

    /** Waits until every record is merged from both syncs, checked in batches of 1,000. */
    private static void awaitLoaded(final String url, final String key, final int records) throws IOException, InterruptedException {
        final HttpClient client = HttpClient.newHttpClient();
        final long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        int from = 1;
        while (from <= records) {
            final StringBuilder ids = new StringBuilder("{\"ids\":[");
            final int to = Math.min(records, from + 999);
            for (int id = from; id <= to; id++) {
                ids.append(id == from ? "" : ",").append('"').append(id).append('"');
            }
            final HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/v1/collections/customers/records/batch?fields=num_messages_sent,full_name"))
                    .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(ids.append("]}").toString())).build();
            final String body = client.send(request, HttpResponse.BodyHandlers.ofString()).body();
            if (body.contains("\"missing\":[]") && !body.contains("unavailable") && countOf(body, "full_name") == to - from + 1
                    && countOf(body, "num_messages_sent") == to - from + 1) {
                from = to + 1;
            } else if (System.nanoTime() > deadline) {
                throw new IllegalStateException("records not loaded within 5 minutes");
            } else {
                Thread.sleep(200);
            }
        }
    }

    private static int countOf(final String text, final String word) {
        int count = 0;
        for (int at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + 1)) {
            count++;
        }
        return count;
    }

    private static Result run(final int connections, final int warmupSeconds, final int seconds, final RequestFactory requests)
            throws InterruptedException {
        final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        final Recorder recorder = new Recorder(3);
        final Map<Integer, LongAdder> errors = new java.util.concurrent.ConcurrentHashMap<>();
        final AtomicBoolean measuring = new AtomicBoolean(false);
        final AtomicBoolean running = new AtomicBoolean(true);
        final List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            final Thread thread = new Thread(() -> {
                while (running.get()) {
                    final long start = System.nanoTime();
                    try {
                        final HttpResponse<byte[]> response = client.send(requests.next(), HttpResponse.BodyHandlers.ofByteArray());
                        if (response.statusCode() != 200 && measuring.get()) {
                            errors.computeIfAbsent(response.statusCode(), c -> new LongAdder()).increment();
                        }
                    } catch (final IOException e) {
                        if (measuring.get()) {
                            errors.computeIfAbsent(-1, c -> new LongAdder()).increment();
                        }
                    } catch (final InterruptedException e) {
                        return;
                    }
                    if (measuring.get()) {
                        recorder.recordValue((System.nanoTime() - start) / 1_000);
                    }
                }
            }, "load-" + i);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
        Thread.sleep(warmupSeconds * 1_000L);
        recorder.reset();
        measuring.set(true);
        final long start = System.nanoTime();
        Thread.sleep(seconds * 1_000L);
        final Histogram histogram = recorder.getIntervalHistogram();
        final double elapsed = (System.nanoTime() - start) / 1e9;
        measuring.set(false);
        running.set(false);
        for (final Thread thread : threads) {
            thread.join(10_000);
        }
        final Map<Integer, Long> counted = new java.util.TreeMap<>();
        errors.forEach((status, count) -> counted.put(status, count.sum()));
        return new Result(histogram, elapsed, counted);
    }

    @FunctionalInterface
    private interface RequestFactory {
        HttpRequest next();
    }

    /** Errors are counted by HTTP status; -1 is an I/O error. */
    private record Result(Histogram latencyMicros, double seconds, Map<Integer, Long> errors) {
        void print(final String what) {
            System.out.printf("%-14s %,10.0f req/s   p50 %6.2f ms   p99 %6.2f ms   p99.9 %6.2f ms   max %7.2f ms   errors %s%n",
                    what, latencyMicros.getTotalCount() / seconds,
                    latencyMicros.getValueAtPercentile(50) / 1000.0, latencyMicros.getValueAtPercentile(99) / 1000.0,
                    latencyMicros.getValueAtPercentile(99.9) / 1000.0, latencyMicros.getMaxValue() / 1000.0, errors);
        }
    }

    /** Parses {@code --name value} pairs. */
    static final class Options {
        private Options() {
        }

        static Map<String, String> parse(final String[] args) {
            final Map<String, String> options = new java.util.HashMap<>();
            for (int i = 0; i < args.length; i++) {
                if (!args[i].startsWith("--") || i + 1 >= args.length) {
                    throw new IllegalArgumentException("expected --name value pairs, got " + String.join(" ", args));
                }
                options.put(args[i].substring(2), args[++i]);
            }
            return options;
        }

        static void deleteTree(final Path dir) throws IOException {
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
