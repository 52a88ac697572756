package dev.persona.bench.suite;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.bench.FreshnessBenchmark;
import dev.persona.kafka.EmbeddedKafkaBroker;
import dev.persona.topology.Json;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The benchmark suite: ingest, lookups side by side with webdis over Redis, failover, memory and CDC freshness.
 * Prints a summary and writes {@code REPORT.md}, {@code results.json} and PNG charts to {@code --out}.
 * <p>
 * Usage: {@code bench/run suite [--records 100000] [--rounds 3] [--seconds 10] [--warmup 10] [--connections 32]
 * [--ingest-warmup RECORDS] [--memory-records 1000000] [--rocksdb-memory-mb MB] [--phases ingest,lookup,failover,cluster,memory,freshness] [--kafka-properties YAML] [--profile DIR [--async-profiler LIB]] [--out bench/results]}.
 * Persona runs in JVMs of its own ({@code persona serve} with {@code --instance-jvm} options), Kafka in this one;
 * wrk sends the load from a process of its own.
 */
public final class BenchSuite {
    static final String DEFAULT_INSTANCE_JVM = "-Xms384m -Xmx384m -XX:+UseParallelGC";

    private BenchSuite() {
    }

    public static void main(final String[] args) throws Exception {
        final Map<String, String> options = dev.persona.bench.Options.parse(args);
        final int records = Integer.parseInt(options.getOrDefault("records", "100000"));
        final int rounds = Integer.parseInt(options.getOrDefault("rounds", "3"));
        final int seconds = Integer.parseInt(options.getOrDefault("seconds", "10"));
        final int warmup = Integer.parseInt(options.getOrDefault("warmup", "10"));
        final int connections = Integer.parseInt(options.getOrDefault("connections", "32"));
        final int memoryRecords = Integer.parseInt(options.getOrDefault("memory-records", "1000000"));
        final int ingestWarmup = Integer.parseInt(options.getOrDefault("ingest-warmup", Integer.toString(records)));
        final int webdisThreads = Integer.parseInt(options.getOrDefault("webdis-threads", "2"));
        final List<String> phases = Arrays.asList(options.getOrDefault("phases", "ingest,lookup,openloop,tails,failover,cluster,memory,restore,freshness").split(","));
        final List<String> kinds = Arrays.asList(options.getOrDefault("kinds", "BY_ID,BY_EMAIL,BATCH_BY_ID,BATCH_BY_EMAIL").split(","));
        final List<String> jvm = Arrays.asList(options.getOrDefault("instance-jvm", DEFAULT_INSTANCE_JVM).split(" "));
        final Path out = Path.of(options.getOrDefault("out", "bench/results"));
        // Extra kafka.properties for the instances' configuration, as YAML flow entries: 'commit.interval.ms: "200"'.
        final String kafkaProperties = options.getOrDefault("kafka-properties", "");
        // kafka.rocksdbMemoryMb of every instance; absent: Persona's default.
        final String rocksdbMemory = options.containsKey("rocksdb-memory-mb") ? "  rocksdbMemoryMb: " + Integer.parseInt(options.get("rocksdb-memory-mb")) : "";
        final Profiler profile = options.containsKey("profile") ? new Profiler(Path.of(options.get("profile")).toAbsolutePath(),
                options.containsKey("async-profiler") ? Path.of(options.get("async-profiler")).toAbsolutePath() : null) : null;
        Files.createDirectories(out);
        final Path home = Files.createTempDirectory("persona-suite");
        final Results results = new Results(LocalDate.now().toString(), machine(), records, connections, seconds, rounds, jvm);
        System.out.printf("Persona benchmark suite: %s%n%,d records, %d connections, %d rounds of %d s, instance JVM: %s%n",
                results.machine(), records, connections, rounds, seconds, String.join(" ", jvm));
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(home.resolve("kafka"), 0)) {
            final Dataset lookupData = new Dataset("lookup", broker.bootstrapServers(), home, 1, kafkaProperties, rocksdbMemory);
            if (phases.contains("ingest") || phases.contains("lookup") || phases.contains("failover") || phases.contains("openloop")
                    || phases.contains("tails")) {
                // Warm-up: customers beyond the measured ones (as many, by default), with their partial updates, merged
                // before the measured rows are produced, so that the rate is the JIT-compiled steady state of a running
                // instance, not its first seconds: with half as many, the JIT compiler still took a quarter of the
                // instance's CPU during the measured rows (async-profiler).
                final long warmupRows = 3L * ingestWarmup;
                lookupData.produce(records + 1, records + ingestWarmup, true);
                try (ChildInstance instance = lookupData.start(jvm, "a")) {
                    lookupData.awaitMerged(warmupRows, System.nanoTime(), 0);
                    final List<String[]> rows = lookupData.rows(1, records, true);
                    if (profile != null) {
                        profile.start(instance);
                    }
                    final Duration instanceCpu = instance.cpuTime();
                    final Duration driverCpu = cpuTime(ProcessHandle.current());
                    final long start = System.nanoTime();
                    lookupData.send(rows);
                    results.ingest = lookupData.awaitMerged(warmupRows + rows.size(), start, warmupRows);
                    results.ingestCpu = new IngestCpu(perRow(instance.cpuTime().minus(instanceCpu), rows.size()),
                            perRow(cpuTime(ProcessHandle.current()).minus(driverCpu), rows.size()));
                    if (profile != null) {
                        System.out.println("profile of the measured ingest: " + profile.stop(instance, "ingest"));
                    }
                    System.out.printf("ingest: %,d change rows (2 syncs, then partial updates) merged under exactly-once: %,.0f rows/s%n",
                            rows.size(), results.ingest.rowsPerSecond());
                    System.out.printf("ingest: CPU per row: instance %.1f µs, broker and producer (driver JVM) %.1f µs%n",
                            results.ingestCpu.instanceMicros(), results.ingestCpu.driverMicros());
                    if (phases.contains("lookup") || phases.contains("openloop") || phases.contains("tails")) {
                        lookups(results, instance, lookupData, records, rounds, seconds, warmup, connections, webdisThreads,
                                phases.contains("lookup") ? kinds : List.of(), home, profile, phases.contains("openloop"), phases.contains("tails"));
                    }
                    if (phases.contains("failover")) {
                        try {
                            results.failover = Failover.measure(lookupData, instance, jvm, records);
                            System.out.printf("failover: kill -9 of one of two instances (one standby): unavailable for %.0f ms "
                                    + "(%d of %,d lookups failed)%n", results.failover.windowMillis(), results.failover.failed(), results.failover.total());
                        } catch (final Exception e) {
                            results.failed.add("failover: " + e.getMessage());
                            System.out.println("failover: failed: " + e.getMessage());
                        }
                    }
                }
            }
            if (phases.contains("cluster")) {
                try {
                    // A joining instance takes its share of active partitions at the next probing rebalance: a minute, not ten.
                    final Dataset cluster = new Dataset("cluster", broker.bootstrapServers(), home, 1,
                            (kafkaProperties.isEmpty() ? "" : kafkaProperties + ", ") + "probing.rebalance.interval.ms: \"60000\"", rocksdbMemory);
                    cluster.produce(1, records, false);
                    results.cluster = ClusterScaling.measure(cluster, jvm, records, seconds, connections, home);
                } catch (final Exception e) {
                    results.failed.add("cluster: " + e.getMessage());
                    System.out.println("cluster: failed: " + e.getMessage());
                }
            }
            if (phases.contains("memory") || phases.contains("restore")) {
                try {
                    final Dataset big = new Dataset("memory", broker.bootstrapServers(), home, 0, kafkaProperties, rocksdbMemory);
                    big.produce(1, memoryRecords, false);
                    try (ChildInstance instance = big.start(jvm, "m")) {
                        final Ingest ingest = big.awaitMerged(2L * memoryRecords, 0, 0);
                        final long afterLoad = instance.residentBytes();
                        final Wrk wrk = new Wrk(home, 2, connections, memoryRecords);
                        final Wrk.Run reads = wrk.persona(instance.url(), ChildInstance.ADMIN_KEY, Wrk.Kind.BY_ID, seconds);
                        results.memory = new Memory(memoryRecords, afterLoad, instance.residentBytes(), ingest, reads);
                        System.out.printf("memory: %,d records: resident %,d MiB after loading, %,d MiB after %d s of lookups "
                                        + "(%,.0f req/s); loaded at %,.0f rows/s%n", memoryRecords, afterLoad >> 20,
                                results.memory.afterLookupsBytes() >> 20, seconds, reads.rps(), ingest.rowsPerSecond());
                        if (jvm.stream().anyMatch(option -> option.startsWith("-XX:NativeMemoryTracking"))) {
                            // Where the resident memory goes, as the JVM accounts it (RocksDB's is under "Other"
                            // only when allocated through the JVM, so the gap to the resident figure is mostly it).
                            System.out.println(instance.jcmd("VM.native_memory", "summary", "scale=MB"));
                        }
                    }
                    if (phases.contains("restore")) {
                        // The instance that held them is gone; a new one, with an empty state directory, restores
                        // every store from its changelog before it is ready.
                        final long start = System.nanoTime();
                        try (ChildInstance fresh = big.launch(jvm, "restored")) {
                            fresh.await("/healthz", Duration.ofMinutes(3));
                            final double serving = (System.nanoTime() - start) / 1e9;
                            fresh.awaitReady(Duration.ofMinutes(3));
                            final double took = (System.nanoTime() - start) / 1e9;
                            results.restore = new Restore(memoryRecords, took, memoryRecords / took);
                            System.out.printf("restore: a new instance restored %,d records (and their index) from the changelogs and was ready "
                                    + "in %.1f s: %,.0f records/s (serving HTTP after %.1f s)%n", memoryRecords, took,
                                    results.restore.recordsPerSecond(), serving);
                            fresh.logLines("Restor").forEach(line -> System.out.println("restore: instance log: " + line));
                        }
                    }
                } catch (final Exception e) {
                    results.failed.add("memory: " + e.getMessage());
                    System.out.println("memory: failed: " + e.getMessage());
                }
            }
            if (phases.contains("freshness")) {
                final String postgres = options.getOrDefault("postgres", System.getenv().getOrDefault("PERSONA_TEST_POSTGRES_URL",
                        "jdbc:postgresql://127.0.0.1:5432/test?user=postgres"));
                try {
                    results.freshness = FreshnessBenchmark.measure(postgres, 300, 50_000, broker.bootstrapServers());
                } catch (final java.sql.SQLException e) {
                    results.failed.add("freshness: PostgreSQL not reachable at " + postgres);
                    System.out.println("freshness: skipped, PostgreSQL not reachable at " + postgres + ": " + e.getMessage());
                }
            }
        } finally {
            dev.persona.bench.Options.deleteTree(home);
        }
        Report.write(results, out);
        System.out.println();
        System.out.println(Files.readString(out.resolve("SUMMARY.md")));
        System.out.println("Report: " + out.resolve("REPORT.md"));
    }

    private static void lookups(final Results results, final ChildInstance instance, final Dataset lookupData, final int records, final int rounds,
                                final int seconds, final int warmup, final int connections, final int webdisThreads,
                                final List<String> kinds, final Path home, final Profiler profile, final boolean openLoop, final boolean tails) throws Exception {
        System.out.println("loading the same records into Redis (database " + RedisPeer.DATABASE + ") ...");
        final Map<Long, String> stored = fetchAll(instance, records);
        try (RedisPeer peer = RedisPeer.start(stored, home, ChildInstance.freePort(), webdisThreads)) {
            final Wrk wrk = new Wrk(home, 2, connections, records);
            awaitAnswer(peer.url() + "/GET/customer:1?type=application/json");
            for (final String name : kinds) {
                final Wrk.Kind kind = Wrk.Kind.valueOf(name);
                wrk.persona(instance.url(), ChildInstance.ADMIN_KEY, kind, warmup);
                wrk.webdis(peer.url(), kind, warmup);
                if (profile != null) {
                    profile.start(instance);
                }
                for (int round = 1; round <= rounds; round++) {
                    final Wrk.Run a = wrk.persona(instance.url(), ChildInstance.ADMIN_KEY, kind, seconds);
                    final Wrk.Run b = wrk.webdis(peer.url(), kind, seconds);
                    results.lookups.add(new Pair(kind, round, a, b));
                    System.out.printf("%-30s round %d: persona %,8.0f req/s p99 %6.2f ms errors %d | webdis %,8.0f req/s p99 %6.2f ms errors %d | ratio %.2f%n",
                            kind.label, round, a.rps(), a.p99() / 1000.0, a.errors(), b.rps(), b.p99() / 1000.0, b.errors(), a.rps() / b.rps());
                }
                if (profile != null) {
                    System.out.println("profile of the measured rounds: " + profile.stop(instance, "lookup-" + kind.name().toLowerCase()));
                }
            }
            if (openLoop || tails) {
                final double webdisMax = results.lookups.stream().filter(p -> p.kind() == Wrk.Kind.BY_ID).mapToDouble(p -> p.webdis().rps()).max()
                        .orElse(wrk.webdis(peer.url(), Wrk.Kind.BY_ID, seconds).rps());
                try (OpenLoop load = new OpenLoop(connections)) {
                    // The generator's own code compiles first, at a rate both serve easily; nothing of it is kept.
                    load.run("persona", id -> instance.url() + PERSONA_BY_ID + id, records, ChildInstance.ADMIN_KEY, webdisMax / 4,
                            Duration.ofSeconds(warmup), Duration.ofSeconds(1));
                    load.run("webdis", id -> peer.url() + WEBDIS_BY_ID + id + "?type=application/json", records, null, webdisMax / 4,
                            Duration.ofSeconds(warmup), Duration.ofSeconds(1));
                    if (openLoop) {
                        openLoop(results, load, instance, peer, records, seconds, webdisMax);
                    }
                    if (tails) {
                        tails(results, load, instance, peer, lookupData, stored, seconds, webdisMax, profile);
                    }
                }
            }
        }
    }

    private static final String PERSONA_BY_ID = "/v1/collections/customers/records/user_id/";
    private static final String WEBDIS_BY_ID = "/GET/customer:";

    /** Lookups by id at 25, 50 and 75% of webdis' closed-loop maximum, open loop, Persona and webdis in turn. */
    private static void openLoop(final Results results, final OpenLoop load, final ChildInstance instance, final RedisPeer peer, final int records,
                                 final int seconds, final double webdisMax) throws InterruptedException {
        for (final double share : new double[]{0.25, 0.5, 0.75}) {
            final double rate = Math.round(webdisMax * share);
            final OpenLoop.Run a = load.run("persona", id -> instance.url() + PERSONA_BY_ID + id, records, ChildInstance.ADMIN_KEY, rate,
                    Duration.ofSeconds(3), Duration.ofSeconds(seconds));
            final OpenLoop.Run b = load.run("webdis", id -> peer.url() + WEBDIS_BY_ID + id + "?type=application/json", records, null, rate,
                    Duration.ofSeconds(3), Duration.ofSeconds(seconds));
            results.openLoop.add(new RatePair(share, a, b));
            System.out.printf("open loop at %2.0f%% of webdis' maximum (%,.0f req/s): persona p50 %.2f p99 %.2f p99.9 %.2f ms errors %d "
                            + "(sent late: p99 %.2f ms) | webdis p50 %.2f p99 %.2f p99.9 %.2f ms errors %d (sent late: p99 %.2f ms)%n", share * 100, rate,
                    a.p50() / 1e3, a.p99() / 1e3, a.p999() / 1e3, a.errors(), a.sendLateP99() / 1e3, b.p50() / 1e3, b.p99() / 1e3, b.p999() / 1e3,
                    b.errors(), b.sendLateP99() / 1e3);
        }
    }

    /**
     * Lookup tails while the data changes: lookups by id at a quarter of webdis' maximum, open loop, first on a quiet
     * instance, then while a producer sends partial updates of the same customers at 10,000 rows a second (merged
     * under exactly-once, with their changelogs and index updates); then webdis the same way, quiet and while Redis
     * takes the same 10,000 changed records a second (each record SET under its id and its email, pipelined each
     * millisecond, as a sync job writing Redis would).
     */
    private static void tails(final Results results, final OpenLoop load, final ChildInstance instance, final RedisPeer peer, final Dataset data,
                              final Map<Long, String> stored, final int seconds, final double webdisMax, final Profiler profile) throws Exception {
        // A quarter: at half, the producer, the broker, the instance and the load generator together need more than
        // this machine's two cores, and an open loop then only measures the queue growing (seconds).
        final double rate = Math.round(webdisMax / 4);
        final int records = stored.size();
        final OpenLoop.Run quiet = load.run("persona", id -> instance.url() + PERSONA_BY_ID + id, records, ChildInstance.ADMIN_KEY, rate,
                Duration.ofSeconds(3), Duration.ofSeconds(seconds));
        final OpenLoop.Run busy;
        final long ingested;
        try (Paced ingest = Paced.produce(data, records, INGEST_RATE)) {
            if (profile != null) {
                profile.start(instance);
            }
            busy = load.run("persona", id -> instance.url() + PERSONA_BY_ID + id, records, ChildInstance.ADMIN_KEY, rate,
                    Duration.ofSeconds(3), Duration.ofSeconds(seconds));
            ingested = ingest.rowsPerSecond();
            if (profile != null) {
                System.out.println("profile of the lookups during ingest: " + profile.stop(instance, "tails-during-ingest"));
            }
        }
        // How far the merge had fallen behind the producer when the measurement ended: a backlog means ingest alone
        // wanted more CPU than it got, and it goes on taking it after the producer stops.
        final long behind;
        try (GroupLag lag = new GroupLag(data.bootstrap, "bench-" + data.name, Set.of(data.profilesTopic, data.activityTopic))) {
            behind = lag.read().lag();
        }
        awaitCaughtUp(data);
        final OpenLoop.Run webdisQuiet = load.run("webdis", id -> peer.url() + WEBDIS_BY_ID + id + "?type=application/json", records, null, rate,
                Duration.ofSeconds(3), Duration.ofSeconds(seconds));
        final OpenLoop.Run webdisBusy;
        final long written;
        try (Paced writes = Paced.setInRedis(stored, INGEST_RATE)) {
            webdisBusy = load.run("webdis", id -> peer.url() + WEBDIS_BY_ID + id + "?type=application/json", records, null, rate,
                    Duration.ofSeconds(3), Duration.ofSeconds(seconds));
            written = writes.rowsPerSecond();
        }
        results.tails = new Tails(rate, ingested, behind, quiet, busy, webdisQuiet, written, webdisBusy);
        System.out.printf("tails at %,.0f req/s: quiet p99 %.2f ms, during ingest (%,d rows/s, %,d rows behind at the end) p99 %.2f ms p99.9 %.2f ms "
                        + "(%.2f× quiet); webdis quiet p99 %.2f ms, while Redis takes %,d records/s p99 %.2f ms%n", rate, quiet.p99() / 1e3, ingested,
                behind, busy.p99() / 1e3, busy.p999() / 1e3, (double) busy.p99() / quiet.p99(), webdisQuiet.p99() / 1e3, written, webdisBusy.p99() / 1e3);
    }

    /** Waits (at most a minute) until the merge has consumed every row the tails phase produced, so that webdis runs on a machine as quiet. */
    private static void awaitCaughtUp(final Dataset data) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        try (GroupLag lag = new GroupLag(data.bootstrap, "bench-" + data.name, Set.of(data.profilesTopic, data.activityTopic))) {
            while (lag.read().lag() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
        }
    }

    /** The change rows a second the tails phase produces while it measures. */
    private static final int INGEST_RATE = 10_000;

    /**
     * Changes at a fixed rate until closed, in batches due each millisecond: a timer per row would cost this machine a
     * tenth of a core of the measurement's own (a virtual machine's timer is dear), which the server would then lack.
     */
    private static final class Paced implements AutoCloseable {
        private final Thread thread;
        private final long start = System.nanoTime();
        private volatile boolean stop;
        private volatile long sent;

        /** One change: number {@code i} of the run. */
        @FunctionalInterface
        private interface Change {
            void send(long i) throws Exception;
        }

        private Paced(final String name, final int rate, final Change change, final Runnable flush, final AutoCloseable resource) {
            thread = new Thread(() -> {
                try (resource) {
                    long i = 0;
                    for (long batch = 0; !stop; batch++) {
                        final long due = start + batch * 1_000_000L;
                        long wait;
                        while ((wait = due - System.nanoTime()) > 0) {
                            java.util.concurrent.locks.LockSupport.parkNanos(wait);
                        }
                        for (final long until = (batch + 1) * rate / 1_000; i < until; i++) {
                            change.send(i);
                        }
                        flush.run();
                        sent = i;
                    }
                } catch (final Exception e) {
                    throw new IllegalStateException(name + " failed", e);
                }
            }, name);
            thread.setDaemon(true);
            thread.start();
        }

        /** Partial updates of customers {@code 1..records} to the profiles topic, a new version each pass. */
        static Paced produce(final Dataset data, final int records, final int rate) {
            final KafkaProducer<String, String> producer = Customers.producer(data.bootstrap);
            return new Paced("bench-ingest", rate, i -> {
                final long id = 1 + i % records;
                final long version = 4 + i / records;
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(data.profilesTopic, Long.toString(id),
                        Customers.envelope(Customers.profileRow(id, (int) version), version)));
            }, () -> { }, producer);
        }

        /** The records in {@code stored} SET again in Redis, under their ids and their emails, pipelined each millisecond. */
        static Paced setInRedis(final Map<Long, String> stored, final int rate) {
            final redis.clients.jedis.Jedis redis = new redis.clients.jedis.Jedis("127.0.0.1", 6379);
            redis.select(RedisPeer.DATABASE);
            final redis.clients.jedis.Pipeline pipeline = redis.pipelined();
            final int records = stored.size();
            return new Paced("bench-redis-writes", rate, i -> {
                final long id = 1 + i % records;
                final String record = stored.get(id);
                pipeline.set("customer:" + id, record);
                pipeline.set("email:" + Customers.email(id), record);
            }, pipeline::sync, redis);
        }

        long rowsPerSecond() {
            return Math.round(sent / ((System.nanoTime() - start) / 1e9));
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(10_000);
        }
    }

    /** Every record as Persona serves it, so that Redis holds the very same JSON. */
    static Map<Long, String> fetchAll(final ChildInstance instance, final int records) throws IOException, InterruptedException {
        final HttpClient client = HttpClient.newHttpClient();
        final Map<Long, String> all = new TreeMap<>();
        for (int from = 1; from <= records; from += 1_000) {
            final StringBuilder ids = new StringBuilder("{\"ids\":[");
            final int to = Math.min(records, from + 999);
            for (int id = from; id <= to; id++) {
                ids.append(id == from ? "" : ",").append('"').append(id).append('"');
            }
            final HttpRequest request = HttpRequest.newBuilder(URI.create(instance.url() + "/v1/collections/customers/records/batch"))
                    .header("Authorization", "Bearer " + ChildInstance.ADMIN_KEY).POST(HttpRequest.BodyPublishers.ofString(ids.append("]}").toString())).build();
            final JsonNode body = Json.mapper().readTree(client.send(request, HttpResponse.BodyHandlers.ofByteArray()).body());
            if (body.path("missing").size() > 0 || body.path("records").size() != to - from + 1) {
                throw new IllegalStateException("records " + from + ".." + to + " are not all there: " + body.path("missing"));
            }
            final var fields = body.get("records").fields();
            while (fields.hasNext()) {
                final var record = fields.next();
                all.put(Long.parseLong(record.getKey()), Json.mapper().writeValueAsString(record.getValue()));
            }
        }
        return all;
    }

    private static void awaitAnswer(final String url) throws InterruptedException {
        final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            try {
                final HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
                last = response.statusCode() + " " + response.body();
            } catch (final IOException notYet) {
                last = notYet.toString();
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(url + " did not answer 200 within 10 s; last: " + last);
    }

    private static String machine() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
        } catch (final IOException ignored) {
            // keep the default
        }
        return Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), "
                + (Runtime.getRuntime().maxMemory() >> 20) + " MiB driver heap, Java " + System.getProperty("java.version");
    }

    /** A collection of customers fed by two topic syncs, with its own application id and topics. */
    static final class Dataset {
        private static final int PRODUCE_CHUNK = 50_000;
        final String name;
        final String bootstrap;
        final Path home;
        final Path config;
        final String profilesTopic;
        final String activityTopic;

        Dataset(final String name, final String bootstrap, final Path home, final int standbys, final String properties,
                final String rocksdbMemory) throws IOException {
            this.name = name;
            this.bootstrap = bootstrap;
            this.home = home;
            this.profilesTopic = "bench-" + name + "-profiles";
            this.activityTopic = "bench-" + name + "-activity";
            this.config = home.resolve(name + ".yaml");
            Files.writeString(config, """
                    kafka:
                      bootstrapServers: %s
                      applicationId: bench-%s
                      topicPrefix: bench-%s
                      processingGuarantee: exactly_once_v2
                      standbyReplicas: %d
                    %s
                    %s
                    collections:
                      - name: customers
                        primaryIndex: user_id
                        secondaryIndices: [email]
                        partitions: 4
                    syncs:
                      - id: profiles
                        collection: customers
                        source: { type: topic, topic: %s, format: envelope, copartitioned: true }
                        primaryKey: user_id
                        mapping: [ { from: email }, { from: full_name }, { from: lifetime_value }, { from: churn_risk }, { from: _audiences } ]
                      - id: activity
                        collection: customers
                        source: { type: topic, topic: %s, format: envelope, copartitioned: true }
                        primaryKey: user_id
                        mapping: [ { from: 90_day_summary }, { from: recommendations } ]
                    """.formatted(bootstrap, name, name, standbys, properties.isEmpty() ? "" : "  properties: { " + properties + " }", rocksdbMemory,
                    profilesTopic, activityTopic));
        }

        /**
         * Creates the source topics (with the collection's 4 partitions: the syncs read them as copartitioned) on
         * first use, and produces the rows of customers {@code from..to} before anything reads them.
         */
        void produce(final int from, final int to, final boolean updates) throws Exception {
            final long start = System.nanoTime();
            long produced = 0;
            // In chunks: the memory phase's 2,000,000 rows at once filled the driver's heap, and the broker in it
            // answered the producer so late that its batches expired and were resent out of sequence.
            try (KafkaProducer<String, String> producer = Customers.producer(bootstrap)) {
                createTopics();
                produced += sendInChunks(producer, from, to, (a, b) -> rows(a, b, false));
                if (updates) {
                    produced += sendInChunks(producer, from, to, this::updates);
                }
            }
            System.out.printf("%s: produced %,d change rows in %.1f s%n", name, produced, (System.nanoTime() - start) / 1e9);
        }

        /**
         * The change rows of customers {@code from..to} as (topic, key, value): each customer's profiles and
         * activity rows, then, with {@code updates}, a partial update of each (profiles only).
         */
        List<String[]> rows(final int from, final int to, final boolean updates) {
            final List<String[]> rows = new ArrayList<>();
            for (long id = from; id <= to; id++) {
                rows.add(new String[]{profilesTopic, Long.toString(id), Customers.envelope(Customers.profileRow(id, 0), 1)});
                rows.add(new String[]{activityTopic, Long.toString(id), Customers.envelope(Customers.activityRow(id, 0), 1)});
            }
            if (updates) {
                rows.addAll(updates(from, to));
            }
            return rows;
        }

        /** The partial update (profiles only) of customers {@code from..to}. */
        List<String[]> updates(final int from, final int to) {
            final List<String[]> rows = new ArrayList<>();
            for (long id = from; id <= to; id++) {
                rows.add(new String[]{profilesTopic, Long.toString(id), Customers.envelope(Customers.profileRow(id, 1), 2)});
            }
            return rows;
        }

        /** Sends the rows {@code chunk} makes of customers {@code from..to}, 50,000 customers at a time; returns how many. */
        private static long sendInChunks(final KafkaProducer<String, String> producer, final int from, final int to,
                                         final java.util.function.BiFunction<Integer, Integer, List<String[]>> chunk) {
            long sent = 0;
            for (int first = from; first <= to; first += PRODUCE_CHUNK) {
                final List<String[]> rows = chunk.apply(first, Math.min(to, first + PRODUCE_CHUNK - 1));
                send(producer, rows);
                sent += rows.size();
            }
            return sent;
        }

        /** Sends rows and waits until the broker has them all. */
        void send(final List<String[]> rows) throws Exception {
            createTopics();
            try (KafkaProducer<String, String> producer = Customers.producer(bootstrap)) {
                send(producer, rows);
            }
        }

        private static void send(final KafkaProducer<String, String> producer, final List<String[]> rows) {
            for (final String[] row : rows) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(row[0], row[1], row[2]));
            }
            producer.flush();
        }

        /** The source topics, with the collection's 4 partitions (the syncs read them as copartitioned), once. */
        private void createTopics() throws Exception {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                if (!admin.listTopics().names().get().contains(profilesTopic)) {
                    admin.createTopics(List.of(new NewTopic(profilesTopic, 4, (short) 1), new NewTopic(activityTopic, 4, (short) 1))).all().get();
                }
            }
        }

        ChildInstance start(final List<String> jvm, final String instanceName) throws IOException, InterruptedException {
            return launch(jvm, instanceName).awaitReady(Duration.ofMinutes(3));
        }

        ChildInstance launch(final List<String> jvm, final String instanceName) throws IOException {
            return ChildInstance.start(config, home, name + "-" + instanceName, jvm);
        }

        /**
         * Waits until {@code rows} rows of the syncs are taken in and everything they caused (records, index
         * entries) is merged and committed, and measures the rate of the rows after the first {@code before} from
         * {@code startNanos}; with 0, from the first committed progress (so that the instance's start-up is not counted).
         */
        Ingest awaitMerged(final long rows, final long startNanos, final long before) throws Exception {
            try (GroupLag lag = new GroupLag(bootstrap, "bench-" + name, Set.of(profilesTopic, activityTopic))) {
                final long deadline = System.nanoTime() + Duration.ofMinutes(15).toNanos();
                long firstAt = startNanos;
                long firstRows = -1;
                final List<long[]> progress = new ArrayList<>();
                while (System.nanoTime() < deadline) {
                    final GroupLag.Reading reading = lag.read();
                    final long now = System.nanoTime();
                    if (firstRows < 0 && (startNanos != 0 || reading.committedSourceRows() > 0)) {
                        firstAt = startNanos != 0 ? startNanos : now;
                        firstRows = startNanos != 0 ? before : reading.committedSourceRows();
                    }
                    if (firstRows >= 0) {
                        progress.add(new long[]{(now - firstAt) / 1_000_000, reading.committedSourceRows() - firstRows});
                    }
                    if (reading.committedSourceRows() >= rows && reading.lag() == 0) {
                        final double seconds = (now - firstAt) / 1e9;
                        return new Ingest(rows - firstRows, seconds, (rows - firstRows) / Math.max(seconds, 1e-3), progress);
                    }
                    Thread.sleep(50);
                }
                throw new IllegalStateException(name + ": rows not merged within 15 minutes: " + lag.read());
            }
        }
    }

    /** Rows merged per second, from the first committed progress to the last; progress is (ms, rows taken). */
    record Ingest(long rows, double seconds, double rowsPerSecond, List<long[]> progress) {
    }

    /** One A/B pair of lookup runs. */
    record Pair(Wrk.Kind kind, int round, Wrk.Run persona, Wrk.Run webdis) {
        double ratio() {
            return persona.rps() / webdis.rps();
        }
    }

    /** One open-loop rate, a share of webdis' closed-loop maximum: Persona's run and webdis'. */
    record RatePair(double share, OpenLoop.Run persona, OpenLoop.Run webdis) {
    }

    /** Lookups at one rate on a quiet instance, the same during ingest, and webdis at that rate. */
    record Tails(double rate, long ingestRowsPerSecond, long ingestBacklog, OpenLoop.Run quiet, OpenLoop.Run duringIngest, OpenLoop.Run webdisQuiet,
                 long redisWritesPerSecond, OpenLoop.Run webdis) {
    }

    /** CPU time per change row during the measured ingest: the instance's, and the driver JVM's (broker, producer). */
    record IngestCpu(double instanceMicros, double driverMicros) {
    }

    static Duration cpuTime(final ProcessHandle process) {
        return process.info().totalCpuDuration().orElseThrow(() -> new IllegalStateException("no CPU time for process " + process.pid()));
    }

    private static double perRow(final Duration cpu, final int rows) {
        return cpu.toNanos() / 1e3 / rows;
    }

    record Memory(int records, long afterLoadBytes, long afterLookupsBytes, Ingest ingest, Wrk.Run reads) {
    }

    /** A new instance restoring {@code records} from the changelogs: from its start to ready. */
    record Restore(int records, double seconds, double recordsPerSecond) {
    }

    /** Everything one run measured. */
    static final class Results {
        final String date;
        final String machine;
        final int records;
        final int connections;
        final int seconds;
        final int rounds;
        final List<String> instanceJvm;
        final List<Pair> lookups = new ArrayList<>();
        final List<RatePair> openLoop = new ArrayList<>();
        Tails tails;
        /** Phases that could not be measured, with why. */
        final List<String> failed = new ArrayList<>();
        Ingest ingest;
        IngestCpu ingestCpu;
        Failover.Figures failover;
        List<ClusterScaling.Run> cluster;
        Memory memory;
        Restore restore;
        FreshnessBenchmark.Figures freshness;

        Results(final String date, final String machine, final int records, final int connections, final int seconds, final int rounds,
                final List<String> instanceJvm) {
            this.date = date;
            this.machine = machine;
            this.records = records;
            this.connections = connections;
            this.seconds = seconds;
            this.rounds = rounds;
            this.instanceJvm = instanceJvm;
        }

        String machine() {
            return machine;
        }

        Map<Wrk.Kind, List<Pair>> byKind() {
            final Map<Wrk.Kind, List<Pair>> byKind = new LinkedHashMap<>();
            lookups.forEach(p -> byKind.computeIfAbsent(p.kind(), k -> new ArrayList<>()).add(p));
            return byKind;
        }
    }
}
