package dev.persona.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.DuckDb;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import dev.persona.topology.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Query syncs against a real DuckDB warehouse and a real broker, run on request through the admin API. */
class QuerySyncIT {
    private static final String ADMIN = "query-admin";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static TestKafka kafka;
    private static Path dir;

    @BeforeAll
    static void startBroker() throws IOException {
        kafka = TestKafka.start();
        dir = Files.createTempDirectory("persona-query");
    }

    @AfterAll
    static void stopBroker() {
        kafka.close();
        TempDirs.delete(dir);
    }

    private static PersonaConfig config(final String app, final DuckDb warehouse, final String table) {
        return config(app, warehouse, table, "");
    }

    private static PersonaConfig config(final String app, final DuckDb warehouse, final String table, final String extra) {
        return ConfigLoader.withEnvironment(Map.of()).parse(Path.of(app + ".yaml"), """
                kafka: { bootstrapServers: "%s", applicationId: %s, topicPrefix: %s }
                collections:
                  - { name: people, primaryIndex: person_id, partitions: 2 }
                syncs:
                  - id: people
                    collection: people
                    source: { type: query, connection: "%s", sql: "select id, name, tier from %s", schedule: every 1h }
                    primaryKey: id
                    mapping: [ { from: name }, { from: tier } ]
                    onDelete: delete_record
                %s
                """.formatted(kafka.bootstrapServers(), app, app, warehouse.url(), table, extra));
    }

    private static PersonaInstance start(final PersonaConfig config, final String name) throws IOException {
        final Path state = Files.createTempDirectory(dir, name);
        return PersonaInstance.start(config, InstanceOptions.local(state, state).withAdminKey(ADMIN));
    }

    private static JsonNode json(final String body) {
        try {
            return Json.mapper().readTree(body);
        } catch (final IOException e) {
            throw new AssertionError(body, e);
        }
    }

    /** Asks for a run and waits for its outcome in the run history. */
    private static JsonNode run(final TestHttp http, final String body) {
        final int before = json(http.get("/admin/syncs/people/runs", bearer(ADMIN)).body()).path("runs").size();
        final HttpResponse<String> requested = http.post("/admin/syncs/people/runs", body, bearer(ADMIN));
        assertEquals(202, requested.statusCode(), requested.body());
        return awaitRun(http, before);
    }

    private static JsonNode awaitRun(final TestHttp http, final int runsBefore) {
        return Poll.until(TIMEOUT, "a finished run", () -> {
            final JsonNode runs = json(http.get("/admin/syncs/people/runs", bearer(ADMIN)).body()).path("runs");
            final JsonNode newest = runs.path(0);
            return runs.size() > runsBefore && !"running".equals(newest.path("status").asText()) ? Optional.of(newest) : Optional.empty();
        });
    }

    private static String record(final TestHttp http, final String id) {
        final HttpResponse<String> response = http.get("/v1/collections/people/records/id/" + id, bearer(ADMIN));
        return response.statusCode() == 200 ? response.body() : String.valueOf(response.statusCode());
    }

    @Test
    void shouldApplyOnlyWhatChangedBetweenRunsAndRejectBadKeysWithNothingApplied() throws IOException {
        final DuckDb warehouse = new DuckDb(dir.resolve("diff.duckdb"));
        warehouse.execute("create table people (id integer, name varchar, tier varchar)",
                "insert into people values (1, 'Ann', 'gold'), (2, 'Bob', 'silver'), (3, 'Cy', 'bronze')");
        final PersonaConfig config = config(TestKafka.uniqueName("diff"), warehouse, "people");
        int runsSoFar;
        try (PersonaInstance instance = start(config, "a")) {
            final TestHttp http = new TestHttp(instance.port());
            final JsonNode first = awaitRun(http, 0);
            assertEquals("succeeded", first.path("status").asText(), first.toString());
            assertEquals(3, first.path("upserted").asInt());
            Poll.until(TIMEOUT, "three people", () -> record(http, "3").contains("Cy") && record(http, "1").contains("Ann")
                    && record(http, "2").contains("Bob"));
            assertEquals("{\"person_id\":1,\"name\":\"Ann\",\"tier\":\"gold\"}", record(http, "1"));

            warehouse.execute("update people set name = 'Bobby' where id = 2", "delete from people where id = 3",
                    "insert into people values (4, 'Dee', null)");
            final JsonNode second = run(http, "");
            assertEquals("succeeded", second.path("status").asText(), second.toString());
            assertEquals(List.of(3, 2, 1, 1), List.of(second.path("rowsRead").asInt(), second.path("upserted").asInt(),
                    second.path("deleted").asInt(), second.path("unchanged").asInt()), second.toString());
            Poll.until(TIMEOUT, "the second run applied", () -> record(http, "3").equals("404") && record(http, "2").contains("Bobby")
                    && record(http, "4").contains("Dee"));
            assertEquals("{\"person_id\":4,\"name\":\"Dee\",\"tier\":null}", record(http, "4"));

            // The run debugger: what each change of the run did to its record, before and after.
            final String runPath = "/admin/syncs/people/runs/" + second.path("id").asText();
            final JsonNode debugged = Poll.until(TIMEOUT, "the second run's three changes sampled", () -> {
                final JsonNode view = json(http.get(runPath, bearer(ADMIN)).body());
                return view.path("changes").size() == 3 ? java.util.Optional.of(view) : java.util.Optional.empty();
            });
            assertEquals(second.path("id").asText(), debugged.path("id").asText());
            final java.util.Map<String, JsonNode> byKey = new java.util.HashMap<>();
            debugged.path("changes").forEach(c -> byKey.put(c.path("key").asText(), c));
            assertEquals("[\"name\"]", byKey.get("2").path("changed").toString(), debugged.toString());
            assertEquals("{\"name\":\"Bob\"}", byKey.get("2").path("before").toString());
            assertEquals("{\"name\":\"Bobby\"}", byKey.get("2").path("after").toString());
            assertEquals("delete", byKey.get("3").path("op").asText());
            assertEquals("Cy", byKey.get("3").path("before").path("name").asText());
            assertTrue(byKey.get("3").path("after").isNull());
            assertTrue(byKey.get("4").path("before").isNull() && byKey.get("4").path("after").path("name").asText().equals("Dee"));
            assertEquals(404, http.get("/admin/syncs/people/runs/nosuch", bearer(ADMIN)).statusCode());

            final JsonNode third = run(http, "");
            assertEquals(List.of(0, 0, 3), List.of(third.path("upserted").asInt(), third.path("deleted").asInt(), third.path("unchanged").asInt()),
                    "unchanged rows produce nothing: " + third);

            warehouse.execute("update people set name = 'Ann2' where id = 1", "insert into people values (4, 'Dee again', 'x')");
            final JsonNode duplicate = run(http, "");
            assertEquals("failed", duplicate.path("status").asText());
            assertTrue(duplicate.path("error").asText().contains("'id' = '4' appears twice"), duplicate.toString());
            warehouse.execute("delete from people where name = 'Dee again'", "insert into people values (null, 'Nobody', 'x')");
            final JsonNode nullKey = run(http, "");
            assertEquals("failed", nullKey.path("status").asText());
            assertTrue(nullKey.path("error").asText().contains("primary key 'id' is null"), nullKey.toString());
            assertEquals("{\"person_id\":1,\"name\":\"Ann\",\"tier\":\"gold\"}", record(http, "1"), "a failed run applies nothing");

            warehouse.execute("delete from people where id is null");
            final JsonNode repaired = run(http, "");
            assertEquals(List.of(1, 0, 2), List.of(repaired.path("upserted").asInt(), repaired.path("deleted").asInt(), repaired.path("unchanged").asInt()),
                    "the next good run repairs from the last complete one: " + repaired);
            Poll.until(TIMEOUT, "Ann2", () -> record(http, "1").contains("Ann2"));

            final JsonNode full = run(http, "{\"full\": true}");
            assertTrue(full.path("full").asBoolean());
            assertEquals(List.of(3, 0), List.of(full.path("upserted").asInt(), full.path("unchanged").asInt()), "a full run sends every row: " + full);

            final JsonNode listing = json(http.get("/admin/syncs", bearer(ADMIN)).body()).path("syncs").path(0);
            assertEquals("people", listing.path("id").asText());
            assertEquals("query", listing.path("source").path("type").asText());
            assertEquals("succeeded", listing.path("lastRun").path("status").asText());
            runsSoFar = json(http.get("/admin/syncs/people/runs", bearer(ADMIN)).body()).path("runs").size();
        }

        // A restarted instance with an empty state directory: the previous run's state comes back from Kafka.
        // Runs are counted before it starts: its first run can end before start() returns.
        try (PersonaInstance again = start(config, "b")) {
            final TestHttp http = new TestHttp(again.port());
            final JsonNode afterRestart = awaitRun(http, runsSoFar);
            assertEquals(List.of(0, 0, 3), List.of(afterRestart.path("upserted").asInt(), afterRestart.path("deleted").asInt(),
                    afterRestart.path("unchanged").asInt()), "nothing is re-sent after a restart: " + afterRestart);
            runsSoFar = json(http.get("/admin/syncs/people/runs", bearer(ADMIN)).body()).path("runs").size();
        }

        // A changed model makes the next run a full resync.
        final PersonaConfig changedModel = config(config.kafka().applicationId(), warehouse, "people where id > 0");
        try (PersonaInstance changed = start(changedModel, "c")) {
            final TestHttp http = new TestHttp(changed.port());
            final JsonNode afterChange = awaitRun(http, runsSoFar);
            assertEquals(List.of(3, 0), List.of(afterChange.path("upserted").asInt(), afterChange.path("unchanged").asInt()),
                    "a changed model sends every row: " + afterChange);
        }
    }

    @Test
    void shouldCancelARunInProgressAndApplyNothingOfIt() throws IOException {
        final DuckDb warehouse = new DuckDb(dir.resolve("cancel.duckdb"));
        warehouse.execute("create table seed (x integer)");
        // Fifty million rows: the first run is still going when the cancellation arrives.
        final String slow = "(select i as id, 'name ' || i as name, 'gold' as tier from range(0, 50000000) t(i)) big";
        final PersonaConfig config = config(TestKafka.uniqueName("cancel"), warehouse, slow);
        try (PersonaInstance instance = start(config, "cancel")) {
            final TestHttp http = new TestHttp(instance.port());
            Poll.until(TIMEOUT, "the first run going", () -> "running".equals(
                    json(http.get("/admin/syncs/people/runs", bearer(ADMIN)).body()).path("runs").path(0).path("status").asText()));
            final HttpResponse<String> cancel = http.post("/admin/syncs/people/cancel", "", bearer(ADMIN));
            assertEquals(202, cancel.statusCode(), cancel.body());
            final JsonNode cancelled = Poll.until(TIMEOUT, "the run cancelled", () -> {
                final JsonNode newest = json(http.get("/admin/syncs/people/runs", bearer(ADMIN)).body()).path("runs").path(0);
                return "running".equals(newest.path("status").asText()) ? Optional.empty() : Optional.of(newest);
            });
            assertEquals("cancelled", cancelled.path("status").asText(), cancelled.toString());
            assertEquals(0, cancelled.path("upserted").asInt(), cancelled.toString());
            assertTrue(cancelled.path("error").asText().contains("nothing of this run was applied"), cancelled.toString());
            Poll.until(TIMEOUT, "the instance ready", () -> http.get("/readyz").statusCode() == 200);
            for (final String id : List.of("0", "1", "2")) {
                assertEquals("404", record(http, id), "nothing of the cancelled run is visible");
            }
            final JsonNode listing = json(http.get("/admin/syncs", bearer(ADMIN)).body()).path("syncs").path(0);
            assertEquals("cancelled", listing.path("lastRun").path("status").asText());
            final HttpResponse<String> topicSync = http.post("/admin/syncs/nothing/cancel", "", bearer(ADMIN));
            assertEquals(404, topicSync.statusCode(), topicSync.body());
        }
    }

    @Test
    void shouldPostAFailedRunToTheSyncsWebhook() throws Exception {
        final BlockingQueue<String> posts = new LinkedBlockingQueue<>();
        final HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            posts.add(exchange.getRequestHeaders().getFirst("Content-Type") + " " + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
        try {
            final DuckDb warehouse = new DuckDb(dir.resolve("alerts.duckdb"));
            warehouse.execute("create table other (x integer)");
            final PersonaConfig config = config(TestKafka.uniqueName("alerts"), warehouse, "no_such_table",
                    "    webhook: http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook");
            try (PersonaInstance instance = start(config, "alerts")) {
                final String post = posts.poll(60, TimeUnit.SECONDS);
                assertTrue(post != null && post.startsWith("application/json {\"text\":"), String.valueOf(post));
                final JsonNode text = json(post.substring(post.indexOf(' ') + 1)).path("text");
                assertTrue(text.asText().contains("Persona sync `people` (collection `people`) is failing"), text.asText());
                assertTrue(text.asText().contains("no_such_table"), "the message carries the error: " + text.asText());
            }
        } finally {
            receiver.stop(0);
        }
    }

    @Test
    void shouldMoveTheSyncToAnotherInstanceWhenItsRunnerStops() throws IOException {
        final DuckDb warehouse = new DuckDb(dir.resolve("failover.duckdb"));
        warehouse.execute("create table people (id integer, name varchar, tier varchar)", "insert into people values (1, 'Ann', 'gold')");
        final PersonaConfig config = config(TestKafka.uniqueName("failover"), warehouse, "people");
        final PersonaInstance a = start(config, "fa");
        final PersonaInstance b = start(config, "fb");
        try {
            Poll.until(TIMEOUT, "exactly one runner", () -> a.ingest().owned().size() + b.ingest().owned().size() == 1);
            final PersonaInstance runner = a.ingest().owned().isEmpty() ? b : a;
            final PersonaInstance other = runner == a ? b : a;
            final TestHttp http = new TestHttp(other.port());
            Poll.until(TIMEOUT, "Ann", () -> record(http, "1").contains("Ann"));
            runner.close();
            Poll.until(TIMEOUT, "the other instance running the sync", () -> other.ingest().owned().contains("people"));
            warehouse.execute("update people set name = 'Ann after failover' where id = 1");
            final JsonNode run = run(http, "");
            assertEquals("succeeded", run.path("status").asText(), run.toString());
            assertEquals("127.0.0.1:" + other.port(), run.path("instance").asText());
            Poll.until(TIMEOUT, "the change through the new runner", () -> record(http, "1").contains("after failover"));
            assertFalse(runner.ingest().owned().contains("people"));
        } finally {
            a.close();
            b.close();
        }
    }
}
