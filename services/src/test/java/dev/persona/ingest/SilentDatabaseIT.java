package dev.persona.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.Poll;
import dev.persona.testing.Ran;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import dev.persona.topology.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A database that accepts connections and never answers (a hung server, a proxy whose backend is gone): its drivers
 * would wait forever, and a blocked socket read ignores interrupts. Persona gives up on it: {@code validate --connect}
 * reports it, and a query sync's runs fail one after another instead of the first one blocking every later run.
 */
class SilentDatabaseIT {
    private static final String ADMIN = "silent-admin-key";
    private static ServerSocket silent;
    private static final List<Socket> accepted = new CopyOnWriteArrayList<>();
    private static Path dir;

    @BeforeAll
    static void start() throws IOException {
        dir = Files.createTempDirectory("persona-silent");
        silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final Thread acceptor = new Thread(() -> {
            while (!silent.isClosed()) {
                try {
                    accepted.add(silent.accept());
                } catch (final IOException e) {
                    return;
                }
            }
        }, "silent-database");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    @AfterAll
    static void stop() throws IOException {
        silent.close();
        for (final Socket socket : accepted) {
            socket.close();
        }
        TempDirs.delete(dir);
    }

    private static String url(final String scheme) {
        return "jdbc:" + scheme + "://127.0.0.1:" + silent.getLocalPort() + "/test?user=persona&password=silent-pw-4471";
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES) // without limits, validate waits on the first of them for good
    void shouldReportADatabaseThatNeverAnswersRatherThanWaitForIt() throws Exception {
        final Path file = dir.resolve("silent.yaml");
        Files.writeString(file, """
                collections:
                  - { name: people, primaryIndex: id }
                syncs:
                  - id: pg
                    collection: people
                    source: { type: cdc, connection: "%s", table: public.people }
                    primaryKey: id
                    mapping: [ { from: name } ]
                  - id: my
                    collection: people
                    source: { type: cdc, connection: "%s", table: test.people }
                    primaryKey: id
                    mapping: [ { from: name, to: my_name } ]
                  - id: maria
                    collection: people
                    source: { type: query, connection: "%s", sql: "select id, name from people", schedule: every 1m }
                    primaryKey: id
                    mapping: [ { from: name, to: maria_name } ]
                """.formatted(url("postgresql"), url("mysql"), url("mariadb")));
        final long started = System.nanoTime();
        final Ran ran = Ran.persona("validate", "--config", file.toString(), "--connect");
        final Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertEquals(2, ran.exit(), ran.out() + ran.err());
        for (final String sync : List.of("sync pg (cdc into people): cannot connect", "sync my (cdc into people): cannot connect",
                "sync maria (query into people): cannot connect")) {
            assertTrue(ran.out().contains(sync), ran.out());
        }
        assertTrue(took.compareTo(Duration.ofSeconds(90)) < 0, "three silent databases reported in " + took.toSeconds() + " s");
        assertTrue(!ran.out().contains("silent-pw-4471"), ran.out());
    }

    @Test
    void shouldFailEachRunOfAQuerySyncOnASilentWarehouseInsteadOfBlockingTheNext() throws Exception {
        try (TestKafka kafka = TestKafka.start()) {
            final String app = TestKafka.uniqueName("silent");
            final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).parse(dir.resolve("q.yaml"), """
                    kafka: { bootstrapServers: "%s", applicationId: %s, topicPrefix: %s }
                    collections:
                      - { name: people, primaryIndex: id }
                    syncs:
                      - id: model
                        collection: people
                        source: { type: query, connection: "%s", sql: "select id, name from people", schedule: every 1s, timeout: 2s }
                        primaryKey: id
                        mapping: [ { from: name } ]
                    """.formatted(kafka.bootstrapServers(), app, app, url("postgresql")));
            final Path state = dir.resolve("state-" + app);
            try (PersonaInstance instance = PersonaInstance.start(config, InstanceOptions.local(state, state).withAdminKey(ADMIN))) {
                final TestHttp http = new TestHttp(instance.port());
                Poll.until(Duration.ofSeconds(120), "a second run after the first failed: the first did not block the sync", () -> {
                    final JsonNode runs;
                    try {
                        runs = Json.mapper().readTree(http.get("/admin/syncs/model/runs", bearer(ADMIN)).body()).path("runs");
                    } catch (final IOException e) {
                        throw new IllegalStateException(e);
                    }
                    int failed = 0;
                    for (final JsonNode run : runs) {
                        failed += run.path("status").asText().equals("failed") ? 1 : 0;
                    }
                    return failed >= 2;
                });
            }
        }
    }
}
