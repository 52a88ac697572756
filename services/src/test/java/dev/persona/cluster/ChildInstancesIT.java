package dev.persona.api;

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
 * send them. Zero wrong 404s, zero 5xx other than 503; the unavailability windows are printed.
 */
class ChildInstancesIT {
    private static final String ADMIN = "child-admin";
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
            final List<Long> unavailable = new CopyOnWriteArrayList<>();
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
                        if (r.statusCode() == 503) {
                            unavailable.add(System.nanoTime());
                        }
                    } catch (final UncheckedIOException e) {
                        // The instance went away between choosing it and asking it: a load balancer retries elsewhere.
                        statuses.merge(-1, 1, Integer::sum);
                    }
                }
            }, "lookups");
            load.start();

            final long settle = Duration.ofSeconds(20).toNanos();
            live.remove(ports.get(2));
            final long stopped = System.nanoTime();
            children.get(2).destroy();
            children.get(2).waitFor();
            awaitQuiet(stopped, settle);
            final double cleanWindow = window(unavailable, stopped, System.nanoTime());

            live.remove(ports.get(1));
            final long killed = System.nanoTime();
            children.get(1).destroyForcibly();
            children.get(1).waitFor();
            awaitQuiet(killed, settle);
            final double killWindow = window(unavailable, killed, System.nanoTime());

            final int added = freePort();
            final long scaledOut = System.nanoTime();
            children.add(start(configFile, added, dir.resolve("state-3"), dir));
            Poll.until(Duration.ofSeconds(120), "the new instance ready", () -> new TestHttp(added).get("/readyz").statusCode() == 200);
            live.add(added);
            awaitQuiet(scaledOut, settle);
            final double scaleWindow = window(unavailable, scaledOut, System.nanoTime());
            running.set(false);
            load.join(30_000);

            System.out.printf("Child instances: statuses %s; unavailability windows: clean stop %.0f ms, kill -9 %.0f ms, scale out %.0f ms%n",
                    statuses, cleanWindow, killWindow, scaleWindow);
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

    /** Lets the cluster settle after an event: at least the group's session timeout and a rebalance. */
    private static void awaitQuiet(final long since, final long settle) {
        Poll.until(Duration.ofNanos(settle * 2), "the cluster settling", () -> System.nanoTime() - since > settle);
    }

    private static double window(final List<Long> unavailable, final long from, final long to) {
        final List<Long> inPhase = unavailable.stream().filter(t -> t >= from && t <= to).toList();
        return inPhase.isEmpty() ? 0 : (inPhase.get(inPhase.size() - 1) - inPhase.get(0)) / 1e6;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }
}
