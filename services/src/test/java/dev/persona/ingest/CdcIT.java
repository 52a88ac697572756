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
import dev.persona.topology.DeadLetterHeaders;
import dev.persona.topology.Json;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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
import static org.junit.jupiter.api.Assertions.assertNull;
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

    /** {@link #config} with a mapping of {@code name} alone: {@code email} no longer mapped. */
    private static PersonaConfig nameOnly(final PersonaConfig config, final String sync, final String table) {
        return ConfigLoader.withEnvironment(Map.of()).parse(Path.of(config.kafka().applicationId() + ".yaml"), """
                kafka: { bootstrapServers: "%s", applicationId: %s, topicPrefix: %s }
                collections:
                  - { name: contacts, primaryIndex: contact_id, partitions: 3 }
                syncs:
                  - id: %s
                    collection: contacts
                    source: { type: cdc, connection: "%s", table: public.%s }
                    primaryKey: id
                    mapping: [ { from: name } ]
                    onDelete: delete_record
                """.formatted(kafka.bootstrapServers(), config.kafka().applicationId(), config.kafka().topicPrefix(), sync, TestPostgres.url(), table));
    }

    @Test
    void shouldReadTheTableAgainOnAFullResyncRemovingFieldsNoLongerMapped() throws Exception {
        final String sync = TestKafka.uniqueName("resnap").toLowerCase();
        final String table = "persona_" + sync;
        TestPostgres.execute("drop table if exists " + table, "create table " + table + " (id int primary key, name text, email text)",
                "insert into " + table + " select g, 'n' || g, 'e' || g || '@example.com' from generate_series(1, 50) g");
        final PersonaConfig config = config(TestKafka.uniqueName("resnapapp"), sync, table, TestPostgres.url());
        try {
            try (PersonaInstance instance = start(config)) {
                awaitSame(new TestHttp(instance.port()), table, 50, "the snapshot");
            }
            try (PersonaInstance instance = start(nameOnly(config, sync, table))) {
                final TestHttp http = new TestHttp(instance.port());
                Poll.until(TIMEOUT, "the sync running again", () -> lastRun(http).path("status").asText().equals("running"));
                Poll.until(TIMEOUT, "the records restored, still with the field no longer mapped (streaming alone keeps it)",
                        () -> record(http, 7).contains("e7@example.com"));
                final HttpResponse<String> plain = http.post("/admin/syncs/" + sync + "/runs", "", bearer(ADMIN));
                assertEquals(400, plain.statusCode(), "a CDC sync has no runs but a full one: " + plain.body());
                assertTrue(plain.body().contains("--full"), plain.body());
                assertEquals(202, http.post("/admin/syncs/" + sync + "/runs", "{\"full\":true}", bearer(ADMIN)).statusCode());
                Poll.until(TIMEOUT, "every record without email", () -> java.util.stream.IntStream.rangeClosed(1, 50)
                        .allMatch(id -> record(http, id).equals("{\"contact_id\":" + id + ",\"name\":\"n" + id + "\"}")));
                TestPostgres.execute("update " + table + " set name = 'after' where id = 3");
                Poll.until(TIMEOUT, "changes streamed after the snapshot", () -> record(http, 3).contains("after"));
                // Counts of a CDC run are brought up to date every few seconds.
                final JsonNode full = Poll.until(TIMEOUT, "the resync's run counting every row read again", () -> {
                    try {
                        final JsonNode run = Json.mapper().readTree(http.get("/admin/syncs/" + sync + "/runs", bearer(ADMIN)).body()).path("runs").path(0);
                        return run.path("upserted").asLong() >= 50 ? java.util.Optional.of(run) : java.util.Optional.empty();
                    } catch (final IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertEquals("full", full.path("trigger").asText(), full.toString());
            }
        } finally {
            dropCapture(sync, table);
        }
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
    void shouldNestEachRowOfTheWalIntoItsParentsArrayMovesAndKeyOnlyDeletesIncluded() throws Exception {
        final String sync = TestKafka.uniqueName("nestcdc").toLowerCase();
        final String table = "persona_" + sync;
        TestPostgres.execute("drop table if exists " + table, "create table " + table
                        + " (order_id int primary key, customer_id text, total int, created_at text)",
                "insert into " + table + " values (1, 'c1', 10, '2026-12-01'), (2, 'c1', 20, '2026-12-02'), (3, 'c2', 30, '2026-12-03')");
        final String app = TestKafka.uniqueName("nestcdcapp");
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).parse(Path.of(app + ".yaml"), """
                kafka: { bootstrapServers: "%s", applicationId: %s, topicPrefix: %s }
                collections:
                  - { name: customers, primaryIndex: user_id, partitions: 3 }
                syncs:
                  - id: %s
                    collection: customers
                    source: { type: cdc, connection: "%s", table: public.%s }
                    primaryKey: order_id
                    mapping: [ { from: total }, { from: created_at } ]
                    nest: { into: orders, parentKey: customer_id, orderBy: created_at desc, limit: 3 }
                """.formatted(kafka.bootstrapServers(), app, app, sync, TestPostgres.url(), table));
        try (PersonaInstance instance = start(config)) {
            final TestHttp http = new TestHttp(instance.port());
            Poll.until(TIMEOUT, "the snapshot nested", () -> customer(http, "c1").equals("{\"user_id\":\"c1\",\"orders\":[{\"order_id\":2,"
                    + "\"total\":20,\"created_at\":\"2026-12-02\"},{\"order_id\":1,\"total\":10,\"created_at\":\"2026-12-01\"}]}")
                    && customer(http, "c2").equals("{\"user_id\":\"c2\",\"orders\":[{\"order_id\":3,\"total\":30,\"created_at\":\"2026-12-03\"}]}"));
            // A delete in the WAL carries the key alone (replica identity default): the child's parent is remembered.
            TestPostgres.execute("update " + table + " set total = 11 where order_id = 1", "update " + table + " set customer_id = 'c2' where order_id = 2",
                    "delete from " + table + " where order_id = 3");
            Poll.until(TIMEOUT, "an update, a move and a delete", () -> customer(http, "c1").equals("{\"user_id\":\"c1\",\"orders\":[{\"order_id\":1,"
                    + "\"total\":11,\"created_at\":\"2026-12-01\"}]}")
                    && customer(http, "c2").equals("{\"user_id\":\"c2\",\"orders\":[{\"order_id\":2,\"total\":20,\"created_at\":\"2026-12-02\"}]}"));
            final JsonNode meta = Json.mapper().readTree(http.get("/v1/collections/customers/records/id/c2?meta=true", bearer(ADMIN)).body());
            assertEquals(sync, meta.path("_meta").path("fields").path("orders").path("sync").asText(), meta.toString());
            assertTrue(meta.path("_meta").path("fields").path("orders").path("version").asLong() > 0, "the array's version is an LSN: " + meta);
            TestPostgres.execute("delete from " + table + " where order_id = 1");
            Poll.until(TIMEOUT, "a parent made only of its children goes with the last", () -> customer(http, "c1").equals("404"));
        } finally {
            dropCapture(sync, table);
        }
    }

    private static String customer(final TestHttp http, final String id) {
        final HttpResponse<String> response = http.get("/v1/collections/customers/records/id/" + id, bearer(ADMIN));
        return response.statusCode() == 200 ? response.body() : String.valueOf(response.statusCode());
    }

    private static JsonNode lastRun(final TestHttp http) {
        try {
            return Json.mapper().readTree(http.get("/admin/syncs", bearer(ADMIN)).body()).path("syncs").path(0).path("lastRun");
        } catch (final IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void dropCapture(final String sync, final String table) {
        TestPostgres.execute("select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = 'persona_" + sync + "'",
                "drop publication if exists persona_" + sync, "drop table if exists " + table);
    }

    @Test
    void shouldDeadLetterARowTooLargeForKafkaAndGoOnCapturing() throws Exception {
        final String sync = TestKafka.uniqueName("cdclarge").toLowerCase();
        final String table = "persona_" + sync;
        TestPostgres.execute("drop table if exists " + table, "create table " + table + " (id int primary key, name text, email text)",
                "insert into " + table + " values (1, 'Ann', null), (2, 'Bob', null)");
        final String app = TestKafka.uniqueName("cdclargeapp");
        try (PersonaInstance instance = start(config(app, sync, table, TestPostgres.url()))) {
            final TestHttp http = new TestHttp(instance.port());
            awaitSame(http, table, 2, "the snapshot");
            TestPostgres.execute("update " + table + " set name = repeat('x', 1100000) where id = 1",
                    "update " + table + " set name = 'after' where id = 2");
            Poll.until(TIMEOUT, "the change after the large one", () -> record(http, 2).contains("after"));
            assertEquals("{\"contact_id\":1,\"name\":\"Ann\",\"email\":null}", record(http, 1), "the rejected row keeps its last good state");
            final ConsumerRecord<String, byte[]> letter = kafka.awaitRecord(app + ".contacts.dead-letters", TIMEOUT, "the dead letter of id 1",
                    r -> "1".equals(r.key()));
            assertTrue(TestKafka.header(letter, DeadLetterHeaders.REASON).contains("larger than topic")
                    && TestKafka.header(letter, DeadLetterHeaders.REASON).contains("every column of the table, mapped or not"), TestKafka.header(letter, DeadLetterHeaders.REASON));
            assertTrue(Long.parseLong(TestKafka.header(letter, DeadLetterHeaders.VERSION)) > 0, "the LSN");
            assertNull(letter.value(), "not the payload");
            Poll.until(TIMEOUT, "the run counting the rejected row", () -> lastRun(http).path("rejected").asInt() == 1);
            assertEquals("running", lastRun(http).path("status").asText());

            TestPostgres.execute("update " + table + " set name = 'Ann again' where id = 1");
            Poll.until(TIMEOUT, "the row once it fits", () -> record(http, 1).contains("Ann again"));
        } finally {
            dropCapture(sync, table);
        }
    }

    @Test
    void shouldRefuseATableWhoseDeletesWouldCarryNoKeyAndCaptureOnceFixed() throws Exception {
        final String sync = TestKafka.uniqueName("cdcident").toLowerCase();
        final String table = "persona_" + sync;
        TestPostgres.execute("drop table if exists " + table, "create table " + table + " (pk serial primary key, id int unique, name text, email text)",
                "insert into " + table + " (id, name) values (1, 'Ann'), (2, 'Bob')");
        try (PersonaInstance instance = start(config(TestKafka.uniqueName("cdcidentapp"), sync, table, TestPostgres.url()))) {
            final TestHttp http = new TestHttp(instance.port());
            final JsonNode failed = Poll.until(TIMEOUT, "a failed run", () -> Optional.of(lastRun(http))
                    .filter(run -> "failed".equals(run.path("status").asText())));
            assertEquals("table public." + table + "'s replica identity carries only pk of a deleted row, not the sync's primaryKey 'id', so deletes "
                    + "would arrive without a key and be lost. Fix: ALTER TABLE public." + table + " REPLICA IDENTITY FULL; or key the sync on the "
                    + "table's primary key (primaryKey: pk)", failed.path("error").asText());

            TestPostgres.execute("alter table " + table + " replica identity full");
            Poll.until(TIMEOUT, "the snapshot once fixed", () -> record(http, 2).contains("Bob"));
            TestPostgres.execute("delete from " + table + " where id = 2");
            Poll.until(TIMEOUT, "the delete", () -> record(http, 2).equals("404"));
        } finally {
            dropCapture(sync, table);
        }
    }

    @Test
    void shouldKeepRecordsOnATruncateAndSayItInTheDeadLetterTopic() throws Exception {
        final String sync = TestKafka.uniqueName("cdctrunc").toLowerCase();
        final String table = "persona_" + sync;
        TestPostgres.execute("drop table if exists " + table, "create table " + table + " (id int primary key, name text, email text)",
                "insert into " + table + " values (1, 'Ann', null), (2, 'Bob', null)");
        final String app = TestKafka.uniqueName("cdctruncapp");
        try (PersonaInstance instance = start(config(app, sync, table, TestPostgres.url()))) {
            final TestHttp http = new TestHttp(instance.port());
            awaitSame(http, table, 2, "the snapshot");
            TestPostgres.execute("truncate " + table, "insert into " + table + " values (3, 'Cy', null)");
            Poll.until(TIMEOUT, "the row inserted after the truncate", () -> record(http, 3).contains("Cy"));
            final ConsumerRecord<String, byte[]> letter = kafka.awaitRecord(app + ".contacts.dead-letters", TIMEOUT, "the truncate's dead letter",
                    r -> TestKafka.header(r, DeadLetterHeaders.REASON).startsWith("TRUNCATE of public." + table));
            assertTrue(letter.key().startsWith("unkeyed-") && letter.headers().lastHeader(DeadLetterHeaders.UNKEYED) != null,
                    "a truncate names no row: a made-up key, marked, since the dead-letter topic is compacted: " + letter.key());
            assertTrue(record(http, 1).contains("Ann"), "a truncate names no rows: records are kept");
        } finally {
            dropCapture(sync, table);
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
