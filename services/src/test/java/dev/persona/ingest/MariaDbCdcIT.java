package dev.persona.ingest;

import com.fasterxml.jackson.databind.JsonNode;
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
import dev.persona.topology.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CDC from a private MariaDB (binary log on, ROW format) through Debezium's MySQL connector: the snapshot, then inserts,
 * updates and deletes from the binary log, versions that only grow, and a restart that resumes from the offsets kept
 * in Kafka, missing nothing written while no instance captured.
 */
class MariaDbCdcIT {
    private static final String ADMIN = "mariadb-cdc-admin-key";
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    private static TestKafka kafka;
    private static long versionBeforeRestart;
    private static MariaDbServer maria;
    private static Path dir;

    @BeforeAll
    static void start() throws IOException {
        maria = MariaDbServer.shared();
        kafka = TestKafka.start();
        dir = Files.createTempDirectory("persona-mariadb-cdc");
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

    private PersonaConfig config(final String app, final String table, final String scheme) {
        final String url = maria.url("MARIA_PASSWORD").replace("jdbc:mariadb:", scheme);
        return ConfigLoader.withEnvironment(Map.of("MARIA_PASSWORD", MariaDbServer.PASSWORD)).parse(dir.resolve(app + ".yaml"), """
                kafka: { bootstrapServers: "%1$s", applicationId: %2$s, topicPrefix: %2$s }
                collections:
                  - { name: members, primaryIndex: member_id, partitions: 2 }
                syncs:
                  - id: members
                    collection: members
                    source: { type: cdc, connection: "%3$s", table: test.%4$s }
                    primaryKey: id
                    mapping: [ { from: name }, { from: tier } ]
                    onDelete: delete_record
                """.formatted(kafka.bootstrapServers(), app, url, table));
    }

    private static String record(final TestHttp http, final int id) {
        final var response = http.get("/v1/collections/members/records/id/" + id, bearer(ADMIN));
        return response.statusCode() == 200 ? response.body() : Integer.toString(response.statusCode());
    }

    private static long version(final TestHttp http, final int id) throws IOException {
        final JsonNode meta = Json.mapper().readTree(http.get("/v1/collections/members/records/id/" + id + "?meta=true", bearer(ADMIN)).body());
        return meta.path("_meta").path("fields").path("name").path("version").asLong();
    }

    private static PersonaInstance start(final PersonaConfig config) {
        return PersonaInstance.start(config, InstanceOptions.local(dir.resolve("state-" + config.kafka().applicationId()), dir).withAdminKey(ADMIN));
    }

    @Test
    void shouldCaptureMariaDbsSnapshotAndBinaryLogAndResumeAfterARestart() throws Exception {
        final String table = "members_" + TestKafka.uniqueName("t").toLowerCase();
        maria.execute("create table " + table + " (id int primary key, name varchar(64), tier varchar(16))",
                "insert into " + table + " values (1, 'Ann', 'gold'), (2, 'Bob', 'silver'), (3, 'Cy', null)");
        final PersonaConfig config = config(TestKafka.uniqueName("mcdc"), table, "jdbc:mariadb:");
        final LogCapture log = LogCapture.start("dev.persona", "io.debezium", "org.mariadb", "com.mysql");
        try {
            try (PersonaInstance instance = start(config)) {
                final TestHttp http = new TestHttp(instance.port());
                Poll.until(TIMEOUT, "the snapshot", () -> record(http, 1).equals("{\"member_id\":1,\"name\":\"Ann\",\"tier\":\"gold\"}"));
                final long snapshotVersion = version(http, 2);
                maria.execute("insert into " + table + " values (4, 'Dee', 'bronze')", "update " + table + " set name = 'Bobby' where id = 2",
                        "delete from " + table + " where id = 3");
                Poll.until(TIMEOUT, "insert, update and delete from the binary log", () -> record(http, 4).contains("Dee")
                        && record(http, 2).contains("Bobby") && record(http, 3).equals("404"));
                assertTrue(version(http, 2) > snapshotVersion, "a binary log change outranks the snapshot's version");
                maria.execute("update " + table + " set tier = 'gold' where id = 2", "update " + table + " set tier = 'platinum' where id = 2");
                Poll.until(TIMEOUT, "the last of two updates in one session", () -> record(http, 2).contains("platinum"));
                versionBeforeRestart = version(http, 2);
            }
            // Writes while no instance captures: the next one resumes from the binary log position stored in Kafka. The
            // first is the row a restart used to skip (Debezium's offset said "skip one row" after the last transaction);
            // then a transaction of three statements, and one statement whose 300 rows span several binary log events.
            maria.execute("update " + table + " set name = 'Ann2' where id = 1",
                    "start transaction", "insert into " + table + " values (5, 'Eve', null)", "delete from " + table + " where id = 4",
                    "update " + table + " set tier = 'tin' where id = 5", "commit",
                    "insert into " + table + " select seq, concat('bulk-', seq, '-', repeat('x', 40)), 'bulk' from seq_100_to_399");
            final long before = versionBeforeRestart;
            try (PersonaInstance again = start(config)) {
                final TestHttp http = new TestHttp(again.port());
                Poll.until(TIMEOUT, "what was written while stopped", () -> record(http, 1).contains("Ann2") && record(http, 5).contains("tin")
                        && record(http, 4).equals("404") && record(http, 100).contains("bulk-100-") && record(http, 399).contains("bulk-399-"));
                for (int id = 100; id < 400; id++) {
                    assertTrue(record(http, id).contains("bulk-" + id + "-"), "row " + id + " of the bulk insert");
                }
                assertEquals("{\"member_id\":2,\"name\":\"Bobby\",\"tier\":\"platinum\"}", record(http, 2));
                assertEquals(before, version(http, 2), "the transaction read again at the restart changed nothing");
                final JsonNode syncs = Json.mapper().readTree(http.get("/admin/syncs", bearer(ADMIN)).body());
                assertEquals("running", syncs.path("syncs").path(0).path("lastRun").path("status").asText(), syncs.toString());
                assertTrue(!syncs.toString().contains(MariaDbServer.PASSWORD), syncs.toString());
                // A new binary log file: the offset committed next lies in it.
                maria.execute("flush binary logs", "update " + table + " set name = 'Ann3' where id = 1");
                Poll.until(TIMEOUT, "a change in the next binary log file", () -> record(http, 1).contains("Ann3"));
            }
            maria.execute("update " + table + " set name = 'Ann4' where id = 1", "insert into " + table + " values (6, 'Fay', null)");
            try (PersonaInstance third = start(config)) {
                final TestHttp http = new TestHttp(third.port());
                Poll.until(TIMEOUT, "what was written while stopped, after a file change", () -> record(http, 1).contains("Ann4")
                        && record(http, 6).contains("Fay"));
                assertTrue(!http.get("/admin/syncs/members/runs", bearer(ADMIN)).body().contains(MariaDbServer.PASSWORD), "the runs hold no password");
            }
        } finally {
            log.close();
        }
        assertTrue(log.text().contains("BinlogStreamingChangeEventSource"), "Debezium's log was captured");
        assertTrue(!log.text().contains(MariaDbServer.PASSWORD), "the log holds no password");
    }

    /**
     * The common column types arrive as JSON values; a MariaDB-only type (uuid), which Debezium's MySQL grammar cannot
     * parse, fails the sync's start with the fix until the column is altered; such a type in another table does not stop
     * the capture, but one added to the captured table stops it with the reason, before any row is read wrongly.
     */
    @Test
    void shouldCaptureCommonColumnTypesAndNameTheFixForOnesItCannotParse() throws Exception {
        final String table = "typed_" + TestKafka.uniqueName("t").toLowerCase();
        maria.execute("create table " + table + " (id bigint primary key, name text, tier enum('gold','silver'), "
                + "score decimal(10,2), active boolean, seen datetime(3), born date, doc json, token uuid)",
                "insert into " + table + " values (1, 'Ann', 'gold', 12.50, true, '2026-12-01 10:11:12.345', '1990-05-06', "
                        + "'{\"a\": [1, 2]}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')");
        final String app = TestKafka.uniqueName("mtypes");
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of("MARIA_PASSWORD", MariaDbServer.PASSWORD)).parse(dir.resolve(app + ".yaml"), """
                kafka: { bootstrapServers: "%1$s", applicationId: %2$s, topicPrefix: %2$s }
                collections:
                  - { name: members, primaryIndex: member_id, partitions: 2 }
                syncs:
                  - id: typed
                    collection: members
                    source: { type: cdc, connection: "%3$s", table: test.%4$s }
                    primaryKey: id
                    mapping: [ { from: name }, { from: tier }, { from: score }, { from: active }, { from: seen }, { from: born }, { from: doc }, { from: token } ]
                """.formatted(kafka.bootstrapServers(), app, maria.url("MARIA_PASSWORD"), table));
        try (PersonaInstance instance = start(config)) {
            final TestHttp http = new TestHttp(instance.port());
            Poll.until(TIMEOUT, "the sync failing with the fix for the uuid column", () -> {
                final String syncs = http.get("/admin/syncs", bearer(ADMIN)).body();
                return syncs.contains("token uuid") && syncs.contains("MODIFY token CHAR(36)");
            });
            maria.execute("alter table " + table + " modify token char(36)");
            Poll.until(TIMEOUT, "the snapshot of every type", () -> record(http, 1).contains("Ann"));
            final JsonNode ann = Json.mapper().readTree(record(http, 1));
            assertEquals("gold", ann.path("tier").asText(), ann.toString());
            assertEquals(12.5, ann.path("score").asDouble(), ann.toString());
            assertEquals("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", ann.path("token").asText(), ann.toString());
            assertTrue(ann.path("doc").asText().contains("\"a\""), ann.toString());
            maria.execute("create table other_" + table + " (id int primary key, t uuid)",
                    "insert into " + table + " values (2, 'Bob', 'silver', 0.10, false, '2026-12-02 00:00:00', '2000-01-01', "
                    + "'{}', 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')");
            Poll.until(TIMEOUT, "a streamed row of every type", () -> record(http, 2).contains("Bob"));
            final JsonNode bob = Json.mapper().readTree(record(http, 2));
            assertEquals("silver", bob.path("tier").asText(), bob.toString());
            assertEquals(0.1, bob.path("score").asDouble(), bob.toString());
            // A MariaDB-only type added to the captured table itself, before a column: Debezium skips the statement, so
            // the rows after it would be read with the old columns. The sync stops instead, and says why.
            maria.execute("alter table " + table + " add column badge uuid after name",
                    "insert into " + table + " (id, name, badge, tier) values (3, 'Cy', 'c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'gold')");
            Poll.until(TIMEOUT, "the sync failing on the statement it cannot parse", () -> {
                final String syncs = http.get("/admin/syncs", bearer(ADMIN)).body();
                return syncs.contains("cannot parse a change of the captured table") && syncs.contains("give the sync a new id");
            });
            assertEquals("404", record(http, 3), "no row read with the wrong columns");
            assertTrue(record(http, 2).contains("\"name\":\"Bob\""), record(http, 2));
        }
    }

    /** Issue 21's end to end: a MariaDB CDC sync and a MariaDB query sync own the fields of one collection's records. */
    @Test
    void shouldFeedOneCollectionFromAMariaDbCdcSyncAndAMariaDbQuerySync() throws Exception {
        final String suffix = TestKafka.uniqueName("t").toLowerCase();
        maria.execute("create table accounts_" + suffix + " (id int primary key, name varchar(64), secret varchar(64), bio longtext)",
                "create table scores_" + suffix + " (id int primary key, score int)",
                "insert into accounts_" + suffix + " values (1, 'Ann', 'hash-of-ann', null), (2, 'Bob', 'hash-of-bob', null)",
                "insert into scores_" + suffix + " values (1, 10), (2, 20)");
        final String app = TestKafka.uniqueName("mboth");
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of("MARIA_PASSWORD", MariaDbServer.PASSWORD)).parse(dir.resolve(app + ".yaml"), """
                kafka: { bootstrapServers: "%1$s", applicationId: %2$s, topicPrefix: %2$s }
                collections:
                  - { name: members, primaryIndex: member_id, partitions: 2 }
                syncs:
                  - id: accounts
                    collection: members
                    source: { type: cdc, connection: "%3$s", table: test.accounts_%4$s }
                    primaryKey: id
                    mapping: [ { from: name } ]
                  - id: scores
                    collection: members
                    source: { type: query, connection: "%3$s", sql: "select id, score from scores_%4$s", schedule: every 1s }
                    primaryKey: id
                    mapping: [ { from: score } ]
                """.formatted(kafka.bootstrapServers(), app, maria.url("MARIA_PASSWORD"), suffix));
        try (PersonaInstance instance = start(config)) {
            final TestHttp http = new TestHttp(instance.port());
            Poll.until(TIMEOUT, "one record from both syncs", () -> holds(http, 2, "Bob", 20));
            // The bio no mapping reads is 2 MB, more than the topic takes: captured, it would dead-letter the change.
            maria.execute("update accounts_" + suffix + " set name = 'Bobby', bio = repeat('x', 2000000) where id = 2",
                    "update scores_" + suffix + " set score = 21 where id = 2");
            Poll.until(TIMEOUT, "both changes in the one record", () -> holds(http, 2, "Bobby", 21));
            final JsonNode meta = Json.mapper().readTree(http.get("/v1/collections/members/records/id/2?meta=true", bearer(ADMIN)).body());
            assertEquals("accounts", meta.path("_meta").path("fields").path("name").path("sync").asText(), meta.toString());
            assertEquals("scores", meta.path("_meta").path("fields").path("score").path("sync").asText(), meta.toString());
            // Columns no mapping reads are not captured: the password hash never reached Kafka.
            final var row = kafka.awaitRecord(new dev.persona.topology.TopicNames(config.kafka()).syncTopic("members", "accounts"), TIMEOUT,
                    "a captured row of accounts", record -> true);
            final String captured = new String(row.value(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(captured.contains("\"name\"") && !captured.contains("secret") && !captured.contains("hash-of") && !captured.contains("bio"),
                    captured);
        }
    }

    private static boolean holds(final TestHttp http, final int id, final String name, final int score) {
        try {
            final JsonNode record = Json.mapper().readTree(record(http, id));
            return record.path("name").asText().equals(name) && record.path("score").asInt() == score && record.size() == 3;
        } catch (final IOException e) {
            return false;
        }
    }
}
