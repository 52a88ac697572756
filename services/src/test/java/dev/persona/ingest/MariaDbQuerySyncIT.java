package dev.persona.ingest;

import com.sun.net.httpserver.HttpServer;
import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.LogCapture;
import dev.persona.testing.MariaDbServer;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Query syncs against a private MariaDB (the machine's mariadbd on a data directory of its own), the password given
 * as {@code ${MARIA_PASSWORD}}: rows become records through the shipped driver, and a sync whose runs fail alerts
 * and records its error. The planted password appears in no output: the log, the run history, the sync listing,
 * the alerts, the metrics.
 */
class MariaDbQuerySyncIT {
    private static final String ADMIN = "mariadb-admin-key-0123456789";
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    private static TestKafka kafka;
    private static MariaDbServer maria;
    private static Path dir;
    private static HttpServer receiver;
    private static final List<String> alerts = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws IOException {
        maria = MariaDbServer.shared();
        kafka = TestKafka.start();
        dir = Files.createTempDirectory("persona-mariadb");
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/", exchange -> {
            alerts.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
    }

    @AfterAll
    static void stop() {
        if (receiver != null) {
            receiver.stop(0);
        }
        if (kafka != null) {
            kafka.close();
        }
        if (dir != null) {
            TempDirs.delete(dir);
        }
    }

    @Test
    void shouldSyncRowsFromMariaDbAndShowThePasswordNowhere() throws Exception {
        maria.execute("create table shoppers (id int primary key, name varchar(64), tier varchar(16))",
                "insert into shoppers values (1, 'Ann', 'gold'), (2, 'Bob', 'silver')");
        final LogCapture log = LogCapture.start("dev.persona", "org.mariadb");
        final String app = TestKafka.uniqueName("maria");
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of("MARIA_PASSWORD", MariaDbServer.PASSWORD)).parse(dir.resolve("maria.yaml"), """
                kafka: { bootstrapServers: "%1$s", applicationId: %2$s, topicPrefix: %2$s }
                collections:
                  - { name: shoppers, primaryIndex: shopper_id, partitions: 2 }
                syncs:
                  - id: shoppers
                    collection: shoppers
                    source: { type: query, connection: "%3$s", sql: "select id, name, tier from shoppers", schedule: every 1s }
                    primaryKey: id
                    mapping: [ { from: name }, { from: tier } ]
                  - id: broken
                    collection: shoppers
                    source: { type: query, connection: "%3$s", sql: "select id, score from no_such_table", schedule: every 1s }
                    primaryKey: id
                    mapping: [ { from: score } ]
                    alerts:
                      - { type: webhook, url: "http://127.0.0.1:%4$d/hook" }
                """.formatted(kafka.bootstrapServers(), app, maria.url("MARIA_PASSWORD"), receiver.getAddress().getPort()));
        try (PersonaInstance instance = PersonaInstance.start(config, InstanceOptions.local(dir.resolve("state"), dir).withAdminKey(ADMIN))) {
            final TestHttp http = new TestHttp(instance.port());
            Poll.until(TIMEOUT, "MariaDB's rows as records", () ->
                    http.get("/v1/collections/shoppers/records/id/1", bearer(ADMIN)).body().equals("{\"shopper_id\":1,\"name\":\"Ann\",\"tier\":\"gold\"}"));
            maria.execute("update shoppers set tier = 'platinum' where id = 2");
            Poll.until(TIMEOUT, "a change in MariaDB", () -> http.get("/v1/collections/shoppers/records/id/2", bearer(ADMIN)).body().contains("platinum"));
            Poll.until(TIMEOUT, "the broken sync's failure alerted", () -> !alerts.isEmpty());
            final String runs = http.get("/admin/syncs/broken/runs", bearer(ADMIN)).body();
            assertTrue(runs.contains("no_such_table"), "the run records its error: " + runs);

            final Map<String, String> outputs = Map.of(
                    "the log", log.text(),
                    "GET /admin/syncs", http.get("/admin/syncs", bearer(ADMIN)).body(),
                    "the runs of shoppers", http.get("/admin/syncs/shoppers/runs", bearer(ADMIN)).body(),
                    "the runs of broken", runs,
                    "the alerts", String.join("\n", alerts),
                    "/metrics", http.get("/metrics", bearer(ADMIN)).body());
            outputs.forEach((where, text) -> assertTrue(!text.contains(MariaDbServer.PASSWORD), "the password appears in " + where));
            assertTrue(outputs.get("the log").contains("broken"), "the log was captured");
            assertEquals(200, http.get("/readyz").statusCode());
        } finally {
            log.close();
        }
    }
}
