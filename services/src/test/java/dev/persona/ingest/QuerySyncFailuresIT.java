package dev.persona.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.topology.TopicNames;
import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.DuckDb;
import dev.persona.testing.FailingDriver;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import dev.persona.topology.DeadLetterHeaders;
import dev.persona.topology.Json;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Query syncs when something goes wrong: rows Kafka cannot take, a lost state topic, hung and crashing runs. */
class QuerySyncFailuresIT {
    private static final String ADMIN = "query-failures-admin";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static TestKafka kafka;
    private static Path dir;

    @BeforeAll
    static void startBroker() throws IOException {
        kafka = TestKafka.start();
        dir = Files.createTempDirectory("persona-query-failures");
    }

    @AfterAll
    static void stopBroker() {
        kafka.close();
        TempDirs.delete(dir);
    }

    private static PersonaConfig config(final String app, final String connection, final String sql, final String schedule, final String extra) {
        return ConfigLoader.withEnvironment(Map.of()).parse(Path.of(app + ".yaml"), """
                kafka: { bootstrapServers: "%s", applicationId: %s, topicPrefix: %s }
                collections:
                  - { name: people, primaryIndex: person_id, partitions: 2 }
                syncs:
                  - id: people
                    collection: people
                    source: { type: query, connection: "%s", sql: "%s", schedule: "%s" %s }
                    primaryKey: id
                    mapping: [ { from: name } ]
                    onDelete: delete_record
                """.formatted(kafka.bootstrapServers(), app, app, connection, sql, schedule, extra));
    }

    private static PersonaInstance start(final PersonaConfig config) throws IOException {
        final Path state = Files.createTempDirectory(dir, "state");
        return PersonaInstance.start(config, InstanceOptions.local(state, state).withAdminKey(ADMIN));
    }

    private static JsonNode json(final String body) {
        try {
            return Json.mapper().readTree(body);
        } catch (final IOException e) {
            throw new AssertionError(body, e);
        }
    }

    private static JsonNode runs(final TestHttp http) {
        return json(http.get("/admin/syncs/people/runs", bearer(ADMIN)).body()).path("runs");
    }

    /** Waits for a finished run, newer than the {@code before} runs there were, that {@code matches}. */
    private static JsonNode awaitRun(final TestHttp http, final int before, final String what, final java.util.function.Predicate<JsonNode> matches) {
        return Poll.until(TIMEOUT, what, () -> {
            final JsonNode runs = runs(http);
            for (int i = 0; i < runs.size() - before; i++) {
                final JsonNode run = runs.path(i);
                if (!"running".equals(run.path("status").asText()) && matches.test(run)) {
                    return Optional.of(run);
                }
            }
            return Optional.empty();
        });
    }

    private static JsonNode requestRun(final TestHttp http) {
        final int before = runs(http).size();
        final HttpResponse<String> requested = http.post("/admin/syncs/people/runs", "", bearer(ADMIN));
        assertEquals(202, requested.statusCode(), requested.body());
        return awaitRun(http, before, "the requested run", run -> true);
    }

    private static String record(final TestHttp http, final String id) {
        final HttpResponse<String> response = http.get("/v1/collections/people/records/id/" + id, bearer(ADMIN));
        return response.statusCode() == 200 ? response.body() : String.valueOf(response.statusCode());
    }

    @Test
    void shouldDeadLetterARowTooLargeForKafkaAndApplyTheRestOfTheRun() throws IOException {
        final DuckDb warehouse = new DuckDb(dir.resolve("large.duckdb"));
        warehouse.execute("create table people (id integer, name varchar)", "insert into people values (1, 'Ann'), (2, 'Bob')");
        final String app = TestKafka.uniqueName("large");
        try (PersonaInstance instance = start(config(app, warehouse.url(), "select id, name from people", "every 1h", ""))) {
            final TestHttp http = new TestHttp(instance.port());
            awaitRun(http, 0, "the first run", run -> "succeeded".equals(run.path("status").asText()));
            Poll.until(TIMEOUT, "both people", () -> record(http, "1").contains("Ann") && record(http, "2").contains("Bob"));

            warehouse.execute("update people set name = repeat('x', 1100000) where id = 1", "update people set name = 'after' where id = 2");
            final JsonNode second = requestRun(http);
            assertEquals("succeeded", second.path("status").asText(), second.toString());
            assertEquals(List.of(1, 1), List.of(second.path("upserted").asInt(), second.path("rejected").asInt()), second.toString());
            Poll.until(TIMEOUT, "the other row's change", () -> record(http, "2").contains("after"));
            assertEquals("{\"person_id\":1,\"name\":\"Ann\"}", record(http, "1"), "the rejected row keeps its last good state");

            final ConsumerRecord<String, byte[]> letter = kafka.awaitRecord(app + ".people.dead-letters", TIMEOUT, "the dead letter of id 1",
                    r -> "1".equals(r.key()));
            assertTrue(TestKafka.header(letter, DeadLetterHeaders.REASON).contains("larger than topic")
                    && TestKafka.header(letter, DeadLetterHeaders.REASON).contains("select fewer or shorter columns in the sync's SQL"), TestKafka.header(letter, DeadLetterHeaders.REASON));
            assertEquals("people", TestKafka.header(letter, DeadLetterHeaders.SYNC));
            assertTrue(Long.parseLong(TestKafka.header(letter, DeadLetterHeaders.VERSION)) > 0);
            assertNull(letter.value(), "the payload that was too large is not copied");

            final JsonNode third = requestRun(http);
            assertEquals(List.of(0, 0, 2), List.of(third.path("upserted").asInt(), third.path("rejected").asInt(), third.path("unchanged").asInt()),
                    "a rejected row is dead-lettered again only once it changes: " + third);
            warehouse.execute("update people set name = 'Ann again' where id = 1");
            assertEquals("succeeded", requestRun(http).path("status").asText());
            Poll.until(TIMEOUT, "the row once it fits", () -> record(http, "1").contains("Ann again"));
        }
    }

    @Test
    void shouldKeepApplyingChangesAfterItsStateTopicIsLost() throws Exception {
        final DuckDb warehouse = new DuckDb(dir.resolve("lost.duckdb"));
        warehouse.execute("create table people (id integer, name varchar)", "insert into people values (1, 'Ann')");
        final String app = TestKafka.uniqueName("lost");
        final PersonaConfig config = config(app, warehouse.url(), "select id, name from people", "every 1h", "");
        try (PersonaInstance instance = start(config)) {
            final TestHttp http = new TestHttp(instance.port());
            awaitRun(http, 0, "the first run", run -> "succeeded".equals(run.path("status").asText()));
            requestRun(http);
            requestRun(http);
            Poll.until(TIMEOUT, "Ann", () -> record(http, "1").contains("Ann"));
        }
        try (Admin admin = kafka.admin()) {
            admin.deleteTopics(Set.of(new TopicNames(config.kafka()).state(config.syncs().get(0)))).all().get();
            Poll.until(TIMEOUT, "the state topic gone", () -> {
                try {
                    return !admin.listTopics().names().get().contains(new TopicNames(config.kafka()).state(config.syncs().get(0)));
                } catch (final Exception e) {
                    return false;
                }
            });
        }
        warehouse.execute("update people set name = 'Ann after' where id = 1");
        try (PersonaInstance again = start(config)) {
            final TestHttp http = new TestHttp(again.port());
            awaitRun(http, 0, "a run with no state", run -> "succeeded".equals(run.path("status").asText()) && run.path("full").asBoolean()
                    || "succeeded".equals(run.path("status").asText()) && run.path("upserted").asInt() == 1);
            Poll.until(TIMEOUT, "the change made after the state was lost", () -> record(http, "1").contains("Ann after"));
        }
    }

    @Test
    void shouldEndARunThatOutlivesItsTimeoutAndRunAgain() throws IOException {
        final DuckDb warehouse = new DuckDb(dir.resolve("slow.duckdb"));
        warehouse.execute("create table people (id integer, name varchar)", "insert into people values (1, 'Ann')",
                "create view model as select id, name from people where (select count(*) from range(10000000000000)) > 0");
        final String app = TestKafka.uniqueName("slow");
        try (PersonaInstance instance = start(config(app, warehouse.url(), "select * from model", "every 1h", ", timeout: 2s"))) {
            final TestHttp http = new TestHttp(instance.port());
            final JsonNode timedOut = awaitRun(http, 0, "the timed-out run", run -> "failed".equals(run.path("status").asText()));
            assertTrue(timedOut.path("error").asText().contains("longer than its timeout (2s"), timedOut.toString());

            warehouse.execute("create or replace view model as select id, name from people");
            final JsonNode next = requestRun(http);
            assertEquals("succeeded", next.path("status").asText(), next.toString());
            Poll.until(TIMEOUT, "Ann", () -> record(http, "1").contains("Ann"));
        }
    }

    @Test
    void shouldFailARunThatThrowsAnErrorAndKeepItsSchedule() throws IOException {
        final DuckDb warehouse = new DuckDb(dir.resolve("error.duckdb"));
        warehouse.execute("create table people (id integer, name varchar)", "insert into people values (1, 'Ann')");
        final String app = TestKafka.uniqueName("error");
        FailingDriver.register();
        FailingDriver.failWith(() -> new OutOfMemoryError("simulated: the warehouse driver ran out of memory"));
        try (PersonaInstance instance = start(config(app, FailingDriver.PREFIX + warehouse.url(), "select id, name from people", "every 1s", ""))) {
            final TestHttp http = new TestHttp(instance.port());
            final JsonNode failed = awaitRun(http, 0, "a failed run", run -> "failed".equals(run.path("status").asText()));
            assertTrue(failed.path("error").asText().contains("simulated"), failed.toString());
            FailingDriver.succeed();
            awaitRun(http, 0, "a later scheduled run that succeeds", run -> "succeeded".equals(run.path("status").asText())
                    && "schedule".equals(run.path("trigger").asText()));
            Poll.until(TIMEOUT, "Ann", () -> record(http, "1").contains("Ann"));
        } finally {
            FailingDriver.succeed();
        }
    }

    /**
     * A driver's error may quote the URL, password and all ({@code No suitable driver found for jdbc:...}). A password
     * planted in the connection reaches no run, no sync listing, no webhook and no log line; and a sync failing on
     * every run alerts once, not on every run.
     */
    @Test
    void shouldKeepAPlantedPasswordOutOfRunsSyncsAlertsAndLogsAndAlertOnce() throws Exception {
        final String planted = "Planted-S3cret-9f2";
        final java.util.List<String> alerts = new java.util.concurrent.CopyOnWriteArrayList<>();
        final com.sun.net.httpserver.HttpServer webhook = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        webhook.createContext("/hook", exchange -> {
            alerts.add(new String(exchange.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        webhook.start();
        final java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        final ch.qos.logback.core.OutputStreamAppender<ch.qos.logback.classic.spi.ILoggingEvent> capture = captureLog(log);
        final String app = TestKafka.uniqueName("secret");
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of("WAREHOUSE_PASSWORD", planted)).parse(Path.of(app + ".yaml"), """
                kafka: { bootstrapServers: "%s", applicationId: %s, topicPrefix: %s }
                collections:
                  - { name: people, primaryIndex: person_id, partitions: 2 }
                syncs:
                  - id: people
                    collection: people
                    source: { type: query, connection: "jdbc:postgresql://127.0.0.1:1/db?user=app&password=${WAREHOUSE_PASSWORD}", sql: "select 1", schedule: "every 1s" }
                    primaryKey: id
                    mapping: [ { from: name } ]
                    webhook: "http://127.0.0.1:%d/hook"
                """.formatted(kafka.bootstrapServers(), app, app, webhook.getAddress().getPort()));
        try (PersonaInstance instance = start(config)) {
            final TestHttp http = new TestHttp(instance.port());
            Poll.until(TIMEOUT, "three failed runs", () -> runs(http).size() >= 3
                    && java.util.stream.StreamSupport.stream(runs(http).spliterator(), false).filter(r -> "failed".equals(r.path("status").asText())).count() >= 3);
            final String runs = http.get("/admin/syncs/people/runs", bearer(ADMIN)).body();
            assertTrue(runs.contains("refused"), "the run records why it failed: " + runs);
            final String syncs = http.get("/admin/syncs", bearer(ADMIN)).body();
            Poll.until(TIMEOUT, "the failure alerted", () -> !alerts.isEmpty());
            org.slf4j.LoggerFactory.getLogger("test").warn("a library logging its URL: {}", "jdbc:x://h/db?password=" + planted,
                    new java.sql.SQLException("cannot open jdbc:x://app:" + planted + "@h/db"));
            for (final String output : java.util.List.of(runs, syncs, String.join("\n", alerts), log.toString(java.nio.charset.StandardCharsets.UTF_8))) {
                assertFalse(output.contains(planted), "a planted password leaked: " + output);
            }
            assertTrue(log.toString(java.nio.charset.StandardCharsets.UTF_8).contains("a library logging its URL"), "the log was captured");
            assertEquals(1, alerts.size(), "a sync failing on every run alerts once: " + alerts);
        } finally {
            webhook.stop(0);
            ((ch.qos.logback.classic.LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory()).getLogger("ROOT").detachAppender(capture);
        }
    }

    /** Everything logged from now on, formatted as the configured console appender formats it (redaction included). */
    private static ch.qos.logback.core.OutputStreamAppender<ch.qos.logback.classic.spi.ILoggingEvent> captureLog(final java.io.OutputStream sink) {
        final ch.qos.logback.classic.LoggerContext context = (ch.qos.logback.classic.LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
        final ch.qos.logback.classic.Logger root = context.getLogger("ROOT");
        final ch.qos.logback.classic.encoder.PatternLayoutEncoder configured = (ch.qos.logback.classic.encoder.PatternLayoutEncoder)
                ((ch.qos.logback.core.OutputStreamAppender<ch.qos.logback.classic.spi.ILoggingEvent>) root.getAppender("OUT")).getEncoder();
        final ch.qos.logback.classic.encoder.PatternLayoutEncoder encoder = new ch.qos.logback.classic.encoder.PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(configured.getPattern());
        encoder.start();
        final ch.qos.logback.core.OutputStreamAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender = new ch.qos.logback.core.OutputStreamAppender<>();
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.setOutputStream(sink);
        appender.start();
        root.addAppender(appender);
        return appender;
    }
}
