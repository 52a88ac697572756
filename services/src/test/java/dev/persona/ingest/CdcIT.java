package dev.persona.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import dev.persona.testing.TestPostgres;
import dev.persona.topology.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Debezium CDC from a real PostgreSQL into the API, through a real broker. */
class CdcIT {
    private static final String ADMIN = "cdc-admin";
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    private static TestKafka kafka;
    private static Path dir;

    @BeforeAll
    static void start() throws IOException {
        TestPostgres.url();
        kafka = TestKafka.start();
        dir = Files.createTempDirectory("persona-cdc");
    }

    @AfterAll
    static void stop() {
        kafka.close();
        TempDirs.delete(dir);
    }

    private static PersonaConfig config(final String app, final String sync, final String table, final String connection) {
        return ConfigLoader.withEnvironment(Map.of()).parse(Path.of(app + ".yaml"), """
                kafka: { bootstrapServers: "%s", applicationId: %s, topicPrefix: %s }
                collections:
                  - { name: contacts, primaryIndex: contact_id, partitions: 3 }
                syncs:
                  - id: %s
                    collection: contacts
                    source: { type: cdc, connection: "%s", table: public.%s }
                    primaryKey: id
                    mapping: [ { from: name }, { from: email } ]
                    onDelete: delete_record
                """.formatted(kafka.bootstrapServers(), app, app, sync, connection, table));
    }

    private static PersonaInstance start(final PersonaConfig config) throws IOException {
        final Path state = Files.createTempDirectory(dir, "state");
        return PersonaInstance.start(config, InstanceOptions.local(state, state).withAdminKey(ADMIN));
    }

    private static String record(final TestHttp http, final int id) {
        final HttpResponse<String> response = http.get("/v1/collections/contacts/records/id/" + id, bearer(ADMIN));
        return response.statusCode() == 200 ? response.body() : String.valueOf(response.statusCode());
    }

    /** Every row of the table as the API should show it; absent ids as 404. */
    private static Map<Integer, String> expected(final String table, final int maxId) throws SQLException {
        final Map<Integer, String> rows = new LinkedHashMap<>();
        for (int id = 1; id <= maxId; id++) {
            rows.put(id, "404");
        }
        try (Connection db = DriverManager.getConnection(TestPostgres.url()); Statement statement = db.createStatement();
             ResultSet result = statement.executeQuery("select id, name, email from " + table + " order by id")) {
            while (result.next()) {
                rows.put(result.getInt(1), Json.mapper().createObjectNode().put("contact_id", result.getInt(1))
                        .put("name", result.getString(2)).put("email", result.getString(3)).toString());
            }
        }
        return rows;
    }

    private static void awaitSame(final TestHttp http, final String table, final int maxId, final String what) throws SQLException {
        final Map<Integer, String> expected = expected(table, maxId);
        Poll.until(TIMEOUT, what, () -> expected.entrySet().stream().allMatch(e -> record(http, e.getKey()).equals(e.getValue())));
    }

    @Test
    void shouldCaptureInsertsUpdatesAndDeletesAndResumeAfterARestartWithoutLosingChanges() throws Exception {
        final String sync = TestKafka.uniqueName("cdc").toLowerCase();
        final String table = "persona_" + sync;
        TestPostgres.execute("drop table if exists " + table, "create table " + table + " (id int primary key, name text, email text)",
                "insert into " + table + " values (1, 'Ann', 'ann@example.com'), (2, 'Bob', 'bob@example.com'), (3, 'Cy', null)");
        final PersonaConfig config = config(TestKafka.uniqueName("cdcapp"), sync, table, TestPostgres.url());
        try {
            try (PersonaInstance instance = start(config)) {
                final TestHttp http = new TestHttp(instance.port());
                awaitSame(http, table, 3, "the snapshot of the table");
                TestPostgres.execute("insert into " + table + " values (4, 'Dee', 'dee@example.com')",
                        "update " + table + " set name = 'Bobby' where id = 2", "delete from " + table + " where id = 3");
                awaitSame(http, table, 4, "insert, update and delete");
                assertEquals("{\"contact_id\":2,\"name\":\"Bobby\",\"email\":\"bob@example.com\"}", record(http, 2));
                assertEquals("404", record(http, 3));
                final JsonNode meta = Json.mapper().readTree(http.get("/v1/collections/contacts/records/id/2?meta=true", bearer(ADMIN)).body());
                assertTrue(meta.path("_meta").path("fields").path("name").path("version").asLong() > 0, "the version is the source LSN: " + meta);
            }
            // Writes while no instance captures: the next one resumes from the offsets stored in Kafka.
            TestPostgres.execute("update " + table + " set email = 'ann@new.example.com' where id = 1",
                    "insert into " + table + " values (5, 'Eve', 'eve@example.com')", "delete from " + table + " where id = 4",
                    "insert into " + table + " values (6, 'Fay', null)", "update " + table + " set name = 'Fay2' where id = 6");
            try (PersonaInstance again = start(config)) {
                final TestHttp http = new TestHttp(again.port());
                awaitSame(http, table, 6, "the changes made while stopped");
                final JsonNode runs = Json.mapper().readTree(http.get("/admin/syncs/" + sync + "/runs", bearer(ADMIN)).body()).path("runs");
                assertEquals("running", runs.path(0).path("status").asText(), runs.toString());
            }
        } finally {
            TestPostgres.execute("select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = 'persona_" + sync + "'",
                    "drop publication if exists persona_" + sync, "drop table if exists " + table);
        }
    }

    @Test
    void shouldReportAMissingReplicationGrantWithItsFix() throws Exception {
        final String sync = TestKafka.uniqueName("nogrant").toLowerCase();
        final String role = "persona_" + sync;
        final String table = "persona_" + sync;
        TestPostgres.execute("drop table if exists " + table, "create table " + table + " (id int primary key, name text, email text)",
                "drop role if exists " + role, "create role " + role + " login");
        final String connection = TestPostgres.url().replaceAll("user=[^&]*", "user=" + role);
        final PersonaConfig config = config(TestKafka.uniqueName("nograntapp"), sync, table, connection);
        try (PersonaInstance instance = start(config)) {
            final TestHttp http = new TestHttp(instance.port());
            final JsonNode lastRun = Poll.until(TIMEOUT, "a failed run", () -> {
                try {
                    final JsonNode run = Json.mapper().readTree(http.get("/admin/syncs", bearer(ADMIN)).body()).path("syncs").path(0).path("lastRun");
                    return "failed".equals(run.path("status").asText()) ? Optional.of(run) : Optional.empty();
                } catch (final IOException e) {
                    return Optional.empty();
                }
            });
            assertEquals("PostgreSQL role '" + role + "' may not stream changes. Fix: ALTER ROLE " + role + " WITH REPLICATION;",
                    lastRun.path("error").asText());
        } finally {
            TestPostgres.execute("drop table if exists " + table, "drop role if exists " + role);
        }
    }
}
