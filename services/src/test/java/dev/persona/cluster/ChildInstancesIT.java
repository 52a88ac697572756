package dev.persona.cluster;

import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestConfigs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three instances in child JVMs against one broker, lookups of known keys running throughout: one stopped cleanly
 * (SIGTERM), one killed (SIGKILL), one added. Lookups go to the instances that are up, as a load balancer would
 * send them. Zero wrong 404s, zero 5xx other than 503. (How long each event leaves keys unavailable is measured by
 * the benchmark suite's failover phase and the fault suite, not here.)
 */
class ChildInstancesIT {
    private static final String ADMIN = "child-admin-secret-01";
    private static final int RECORDS = 60;

    private final List<Process> processes = new ArrayList<>();

    @Test
    void shouldKeepAnsweringThroughACleanStopAKillAndAScaleOut() throws Exception {
        final Path dir = Files.createTempDirectory("persona-children");
        try (TestKafka kafka = TestKafka.start()) {
            final String app = TestKafka.uniqueName("children");
            final Path configFile = dir.resolve("persona.yaml");
            Files.writeString(configFile, TestConfigs.customersYaml(kafka.bootstrapServers(), app));
            final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).load(configFile);
            final List<Integer> ports = new CopyOnWriteArrayList<>();
            final List<Process> children = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                final int port = freePort();
                children.add(start(configFile, port, dir.resolve("state-" + i), dir));
                ports.add(port);
            }
            for (final int port : ports) {
                Poll.until(Duration.ofSeconds(120), "instance " + port + " ready", () -> new TestHttp(port).get("/readyz").statusCode() == 200);
            }
            try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
                for (int i = 0; i < RECORDS; i++) {
                    TestConfigs.produce(producer, config, "customers", "profiles", "p" + i, "{\"id\":\"p" + i + "\",\"name\":\"P" + i + "\"}");
                }
            }
            Poll.until(Duration.ofSeconds(120), "every record through every instance", () -> ports.stream().allMatch(port ->
                    java.util.stream.IntStream.range(0, RECORDS).allMatch(i ->
                            new TestHttp(port).get("/v1/collections/customers/records/id/p" + i, bearer(ADMIN)).statusCode() == 200)));

            final Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
            final AtomicBoolean running = new AtomicBoolean(true);
            final List<Integer> live = new CopyOnWriteArrayList<>(ports);
            final Thread load = new Thread(() -> {
                int n = 0;
                while (running.get()) {
                    final int port = live.get(n % live.size());
                    final String key = "p" + (n % RECORDS);
                    n++;
                    try {
                        final HttpResponse<String> r = new TestHttp(port).get("/v1/collections/customers/records/id/" + key, bearer(ADMIN));
                        statuses.merge(r.statusCode(), 1, Integer::sum);
                    } catch (final UncheckedIOException e) {
                        // The instance went away between choosing it and asking it: a load balancer retries elsewhere.
                        statuses.merge(-1, 1, Integer::sum);
                    }
                }
            }, "lookups");
            load.start();

            live.remove(ports.get(2));
            children.get(2).destroy();
            children.get(2).waitFor();
            awaitSettled(live);

            live.remove(ports.get(1));
            children.get(1).destroyForcibly();
            children.get(1).waitFor();
            awaitSettled(live);

            final int added = freePort();
            children.add(start(configFile, added, dir.resolve("state-3"), dir));
            Poll.until(Duration.ofSeconds(120), "the new instance ready", () -> new TestHttp(added).get("/readyz").statusCode() == 200);
            live.add(added);
            awaitSettled(live);
            running.set(false);
            load.join(30_000);

            assertTrue(!statuses.containsKey(404), "never a 404 for a record that exists: " + statuses);
            assertTrue(statuses.keySet().stream().allMatch(s -> s == 200 || s == 503 || s == -1), "no 5xx but 503: " + statuses);
            assertTrue(statuses.getOrDefault(200, 0) > 100, "lookups were answered: " + statuses);
            assertEquals(200, new TestHttp(added).get("/v1/collections/customers/records/id/p1", bearer(ADMIN)).statusCode());
        } finally {
            processes.forEach(Process::destroyForcibly);
            for (final Process process : processes) {
                process.waitFor();
            }
            try (var logs = Files.list(dir)) {
                logs.filter(f -> f.getFileName().toString().endsWith(".log")).forEach(f -> {
                    try {
                        final List<String> lines = Files.readAllLines(f).stream()
                                .filter(l -> l.contains("ERROR") || l.contains("Exception") || l.contains("serving") || l.contains("started")
                                        || l.contains("Caused by")).limit(20).toList();
                        System.err.println("== " + f.getFileName() + "\n" + String.join("\n", lines));
                    } catch (final IOException e) {
                        System.err.println("cannot read " + f);
                    }
                });
            }
            TempDirs.delete(dir);
        }
    }

    private Process start(final Path config, final int port, final Path state, final Path home) throws IOException {
        final ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), "dev.persona.cli.PersonaCommand",
                "serve", "--config", config.toString(), "--port", Integer.toString(port), "--state-dir", state.toString(),
                "--host", "127.0.0.1", "--advertised-host", "127.0.0.1");
        builder.environment().put("PERSONA_ADMIN_KEY", ADMIN);
        builder.environment().put("PERSONA_HOME", home.toString());
        builder.redirectErrorStream(true).redirectOutput(home.resolve("instance-" + port + ".log").toFile());
        final Process process = builder.start();
        processes.add(process);
        return process;
    }

    /**
     * Waits until the cluster has settled after an event: every live instance's cluster view lists exactly the live
     * instances, all RUNNING, with every partition of the record store active on one of them, and every key is
     * answered through every live instance.
     */
    private static void awaitSettled(final List<Integer> live) {
        Poll.until(Duration.ofSeconds(120), "the cluster settled on " + live, () -> live.stream().allMatch(port -> {
            final HttpResponse<String> view = new TestHttp(port).get("/admin/cluster", bearer(ADMIN));
            if (view.statusCode() != 200) {
                return false;
            }
            final com.fasterxml.jackson.databind.JsonNode instances = json(view.body()).path("instances");
            final java.util.Set<Integer> active = new java.util.TreeSet<>();
            for (final com.fasterxml.jackson.databind.JsonNode instance : instances) {
                if (!"RUNNING".equals(instance.path("state").asText())) {
                    return false;
                }
                instance.path("stores").path("records-customers").path("active").forEach(p -> active.add(p.asInt()));
            }
            return instances.size() == live.size() && active.equals(java.util.Set.of(0, 1, 2, 3))
                    && java.util.stream.IntStream.range(0, RECORDS).allMatch(i ->
                    new TestHttp(port).get("/v1/collections/customers/records/id/p" + i, bearer(ADMIN)).statusCode() == 200);
        }));
    }

    private static com.fasterxml.jackson.databind.JsonNode json(final String body) {
        try {
            return dev.persona.topology.Json.mapper().readTree(body);
        } catch (final IOException e) {
            throw new IllegalStateException(body, e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }
}
