package dev.persona.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.MariaDbServer;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import dev.persona.topology.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The preflight of a {@code jdbc:mysql://} CDC sync, against a real server with a binary log (the private MariaDB, which
 * speaks MySQL's protocol): each problem fails the sync's run with its fix, shown in {@code /admin/syncs}, while the
 * instance stays ready; fixed, the next start (retried with backoff) meets the next check, until the last fix lets
 * capture start.
 */
class BinlogPreflightIT {
    private static final String ADMIN = "binlog-preflight-admin-key";
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    private static TestKafka kafka;
    private static MariaDbServer maria;
    private static Path dir;

    @BeforeAll
    static void start() throws IOException {
        maria = MariaDbServer.shared();
        kafka = TestKafka.start();
        dir = Files.createTempDirectory("persona-binlog-preflight");
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
        if (dir != null) {
            TempDirs.delete(dir);
        }
    }

    private static JsonNode failedWith(final TestHttp http, final String fix) {
        return Poll.until(TIMEOUT, "the CDC sync failing with: " + fix, () -> {
            try {
                final JsonNode run = Json.mapper().readTree(http.get("/admin/syncs", bearer(ADMIN)).body()).path("syncs").path(0).path("lastRun");
                return run.path("status").asText().equals("failed") && run.path("error").asText().contains(fix) ? Optional.of(run) : Optional.empty();
            } catch (final IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void shouldNameEachFixInTurnThenCapture() throws Exception {
        final String table = "pf_" + TestKafka.uniqueName("t").toLowerCase();
        maria.execute("create table " + table + " (id int, name varchar(64))",
                "create user if not exists 'reader'@'%' identified by '" + MariaDbServer.PASSWORD + "'",
                "grant select on test.* to 'reader'@'%'");
        final String app = TestKafka.uniqueName("preflight");
        final String url = "jdbc:mysql://127.0.0.1:" + maria.port() + "/test?user=reader&password=${MARIA_PASSWORD}";
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of("MARIA_PASSWORD", MariaDbServer.PASSWORD)).parse(dir.resolve("p.yaml"), """
                kafka: { bootstrapServers: "%1$s", applicationId: %2$s, topicPrefix: %2$s }
                collections:
                  - { name: people, primaryIndex: id, partitions: 2 }
                syncs:
                  - id: people
                    collection: people
                    source: { type: cdc, connection: "%3$s", table: test.%4$s }
                    primaryKey: id
                    mapping: [ { from: name } ]
                """.formatted(kafka.bootstrapServers(), app, url, table));
        try (PersonaInstance instance = PersonaInstance.start(config, InstanceOptions.local(dir.resolve("state"), dir).withAdminKey(ADMIN))) {
            final TestHttp http = new TestHttp(instance.port());
            final JsonNode grants = failedWith(http, "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'reader'@'%';");
            // Debezium never started (every start failed its preflight), yet its schema history topic is there: Persona's.
            try (org.apache.kafka.clients.admin.Admin admin = kafka.admin()) {
                final String history = new dev.persona.topology.TopicNames(config.kafka()).cdcSchemaHistory(config.syncs().get(0));
                assertEquals(1, admin.describeTopics(java.util.List.of(history)).allTopicNames().get().get(history).partitions().size());
                final org.apache.kafka.common.config.ConfigResource resource =
                        new org.apache.kafka.common.config.ConfigResource(org.apache.kafka.common.config.ConfigResource.Type.TOPIC, history);
                final org.apache.kafka.clients.admin.Config configs = admin.describeConfigs(java.util.List.of(resource)).all().get().get(resource);
                assertEquals("-1", configs.get("retention.ms").value(), "the schema history is never deleted");
                assertEquals("delete", configs.get("cleanup.policy").value(), "nor compacted");
            }
            assertTrue(!grants.toString().contains(MariaDbServer.PASSWORD), grants.toString());
            Poll.until(TIMEOUT, "ready while the sync fails: a sync that cannot start fails alone", () -> http.get("/readyz").statusCode() == 200);

            maria.execute("grant replication slave, replication client on *.* to 'reader'@'%'");

            failedWith(http, "Fix: GRANT RELOAD ON *.* TO 'reader'@'%';");
            maria.execute("grant reload on *.* to 'reader'@'%'");
            failedWith(http, "ALTER TABLE test." + table + " ADD PRIMARY KEY (id);");

            maria.execute("alter table " + table + " add primary key (id)", "insert into " + table + " values (7, 'Gus')");
            Poll.until(TIMEOUT, "the row captured once every fix is made",
                    () -> http.get("/v1/collections/people/records/id/7", bearer(ADMIN)).body().contains("Gus"));
        }
    }
}
