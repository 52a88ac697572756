package dev.persona.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.EventStream;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestConfigs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import dev.persona.topology.Json;
import dev.persona.topology.TopicNames;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Change subscriptions on a three-instance cluster: a stream opened on an instance that does not own the record
 * gets every committed change in order and a {@code deleted} event; a client resumes with {@code Last-Event-ID}
 * without a gap; key scope, field allow-list and revocation hold on the stream as on a lookup. The cluster also
 * serves the other items across instances: a topic sync's resync asked of one instance, its run debugger read
 * on another.
 */
class ChangeSubscriptionIT {
    private static final String ADMIN = "change-subscription-admin-key";
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final Duration EVENT = Duration.ofSeconds(30);

    private static TestKafka kafka;
    private static PersonaConfig config;
    private static final List<PersonaInstance> instances = new ArrayList<>();
    private static final List<Path> states = new ArrayList<>();
    private static KafkaProducer<String, byte[]> producer;

    @BeforeAll
    static void start() throws IOException {
        kafka = TestKafka.start();
        config = TestConfigs.customers(kafka.bootstrapServers(), TestKafka.uniqueName("changes"));
        producer = kafka.producer();
        for (int i = 0; i < 3; i++) {
            final Path state = Files.createTempDirectory("persona-changes");
            states.add(state);
            instances.add(PersonaInstance.start(config, InstanceOptions.local(state, state).withAdminKey(ADMIN)));
        }
        Poll.until(TIMEOUT, "three instances running, each with partitions", () -> instances.stream().allMatch(i ->
                i.streams().state() == KafkaStreams.State.RUNNING
                        && instances.get(0).streams().metadataForAllStreamsClients().stream()
                        .anyMatch(m -> m.hostInfo().port() == i.port() && !m.topicPartitions().isEmpty())));
    }

    @AfterAll
    static void stop() {
        producer.close();
        instances.forEach(PersonaInstance::close);
        kafka.close();
        states.forEach(TempDirs::delete);
    }

    /** An instance that is not the active owner of {@code key}'s record. */
    private static PersonaInstance notOwning(final String key) {
        final int owner = instances.get(0).streams().queryMetadataForKey(TopicNames.recordStore("customers"), key, new StringSerializer())
                .activeHost().port();
        return instances.stream().filter(i -> i.port() != owner).findFirst().orElseThrow();
    }

    private static void upsert(final String key, final String name) {
        TestConfigs.produce(producer, config, "customers", "profiles", key,
                "{\"id\":\"" + key + "\",\"name\":\"" + name + "\",\"email\":\"" + key + "@example.com\",\"ltv\":1}");
        producer.flush();
    }

    private static void delete(final String key) {
        producer.send(new ProducerRecord<>(new TopicNames(config.kafka()).sourceTopic(config.sync("profiles").orElseThrow()), key, null));
        producer.flush();
    }

    private static void awaitName(final String key, final String name) {
        final TestHttp http = new TestHttp(instances.get(0).port());
        Poll.until(TIMEOUT, key + " named " + name, () -> {
            final var got = http.get("/v1/collections/customers/records/id/" + key, bearer(ADMIN));
            return got.statusCode() == 200 && json(got.body()).path("full_name").asText().equals(name);
        });
    }

    private static String url(final PersonaInstance instance, final String path) {
        return "http://127.0.0.1:" + instance.port() + path;
    }

    private static JsonNode json(final String body) {
        try {
            return Json.mapper().readTree(body);
        } catch (final IOException e) {
            throw new AssertionError(body, e);
        }
    }

    private static String createKey(final String body) {
        final var created = new TestHttp(instances.get(0).port()).post("/admin/keys", body, bearer(ADMIN));
        assertEquals(201, created.statusCode(), created.body());
        return json(created.body()).path("key").asText();
    }

    @Test
    void shouldStreamEveryChangeOfARecordToAnInstanceThatDoesNotOwnIt() {
        final String key = "sub-1";
        upsert(key, "v0");
        awaitName(key, "v0");
        try (EventStream stream = EventStream.open(url(notOwning(key), "/v1/collections/customers/records/id/" + key + "/changes"), bearer(ADMIN))) {
            assertEquals(200, stream.status());
            assertTrue(stream.response().headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
            final EventStream.Event first = stream.next(EVENT);
            assertEquals("record", first.name());
            assertEquals("v0", json(first.data()).path("full_name").asText(), "a new stream starts with the current record");
            for (int i = 1; i <= 5; i++) {
                upsert(key, "v" + i);
                final EventStream.Event changed = stream.next(EVENT);
                assertEquals("record", changed.name());
                assertEquals("v" + i, json(changed.data()).path("full_name").asText(), "changes arrive in order, each once");
                assertNotNull(changed.id(), "every change carries its changelog position");
            }
            delete(key);
            final EventStream.Event deleted = stream.next(EVENT);
            assertEquals("deleted", deleted.name());
            assertEquals(key, json(deleted.data()).path("id").asText());
            upsert(key, "back");
            assertEquals("back", json(stream.next(EVENT).data()).path("full_name").asText(), "a record that comes back is streamed again");
        }
    }

    @Test
    void shouldResumeFromLastEventIdWithoutAGap() {
        final String key = "sub-2";
        upsert(key, "r0");
        awaitName(key, "r0");
        final String path = "/v1/collections/customers/records/id/" + key + "/changes";
        final String lastId;
        try (EventStream stream = EventStream.open(url(instances.get(1), path), bearer(ADMIN))) {
            stream.next(EVENT);
            upsert(key, "r1");
            final EventStream.Event seen = stream.next(EVENT);
            assertEquals("r1", json(seen.data()).path("full_name").asText());
            lastId = seen.id();
        }
        for (int i = 2; i <= 4; i++) {
            upsert(key, "r" + i);
        }
        awaitName(key, "r4");
        try (EventStream resumed = EventStream.open(url(instances.get(2), path), "Authorization", "Bearer " + ADMIN, "Last-Event-ID", lastId)) {
            for (int i = 2; i <= 4; i++) {
                assertEquals("r" + i, json(resumed.next(EVENT).data()).path("full_name").asText(), "the writes missed while away, in order");
            }
            upsert(key, "r5");
            assertEquals("r5", json(resumed.next(EVENT).data()).path("full_name").asText(), "then the changes as they come");
        }
        try (EventStream unknown = EventStream.open(url(instances.get(0), path), "Authorization", "Bearer " + ADMIN, "Last-Event-ID", "garbage")) {
            assertEquals("r5", json(unknown.next(EVENT).data()).path("full_name").asText(),
                    "an id Persona did not make starts the stream with the current record");
        }
    }

    /**
     * Found from outside: a reader key resumed a stream from before a purge and got the purged record's earlier
     * versions back, then {@code deleted}; the console's revisions showed them to admins too. The changelog keeps them
     * until its cleaner runs; Persona must not read them out in the meantime.
     */
    @Test
    void shouldResumeAStreamFromBeforeAPurgeWithTheDeletionAlone() {
        final String key = "sub-purged";
        upsert(key, "Seven");
        awaitName(key, "Seven");
        final String path = "/v1/collections/customers/records/id/" + key + "/changes";
        final String firstId;
        try (EventStream stream = EventStream.open(url(instances.get(1), path), bearer(ADMIN))) {
            stream.next(EVENT);
            upsert(key, "Secret Seven");
            final EventStream.Event renamed = stream.next(EVENT);
            assertEquals("Secret Seven", json(renamed.data()).path("full_name").asText());
            firstId = renamed.id();
            upsert(key, "Secret Seven II");
            assertEquals("Secret Seven II", json(stream.next(EVENT).data()).path("full_name").asText());
        }
        final TestHttp admin = new TestHttp(instances.get(0).port());
        final var purged = admin.post("/admin/collections/customers/purge", "{\"index\":\"id\",\"value\":\"" + key + "\"}", bearer(ADMIN));
        assertEquals(200, purged.statusCode(), purged.body());
        final String reader = createKey("{\"name\":\"purge-reader\",\"collections\":[\"customers\"]}");
        for (final String from : List.of(firstId.split("-")[0] + "-0", firstId)) {
            try (EventStream resumed = EventStream.open(url(instances.get(2), path), "Authorization", "Bearer " + reader, "Last-Event-ID", from)) {
                final List<EventStream.Event> events = resumed.drain(Duration.ofSeconds(3));
                assertTrue(events.stream().noneMatch(e -> e.data() != null && e.data().contains("Seven")),
                        "nothing of the purged record from Last-Event-ID " + from + ": " + events);
                assertTrue(events.stream().anyMatch(e -> "deleted".equals(e.name())), "the deletion itself: " + events);
            }
        }
        final var revisions = admin.get("/admin/collections/customers/records/" + key + "/history", bearer(ADMIN));
        assertFalse(revisions.body().contains("Seven"), "the console's revisions hide what the purge erased: " + revisions.body());
    }

    @Test
    void shouldRefuseAKeyMoreChangeStreamsThanItsShareOfAnInstance() {
        final String greedy = createKey("{\"name\":\"greedy\",\"collections\":[\"customers\"]}");
        final PersonaInstance one = instances.get(0);
        final List<EventStream> streams = new ArrayList<>();
        try {
            for (int i = 0; i < dev.persona.changes.ChangeFeeds.MAX_SUBSCRIPTIONS_PER_KEY; i++) {
                final EventStream stream = EventStream.open(url(one, "/v1/collections/customers/records/id/greedy-" + i + "/changes"), bearer(greedy));
                streams.add(stream);
                assertEquals(200, stream.status());
            }
            try (EventStream refused = EventStream.open(url(one, "/v1/collections/customers/records/id/greedy-x/changes"), bearer(greedy))) {
                assertEquals(429, refused.status(), "one stream past the key's share");
                assertEquals("60", refused.response().headers().firstValue("Retry-After").orElse(""));
            }
            try (EventStream other = EventStream.open(url(one, "/v1/collections/customers/records/id/greedy-x/changes"), bearer(ADMIN))) {
                assertEquals(200, other.status(), "another key still gets its streams");
            }
        } finally {
            streams.forEach(EventStream::close);
        }
    }

    @Test
    void shouldFollowARecordFoundBySecondaryIndexShowingOnlyAllowedFields() {
        final String key = "sub-3";
        upsert(key, "s0");
        awaitName(key, "s0");
        final TestHttp http = new TestHttp(instances.get(2).port());
        Poll.until(TIMEOUT, "the email indexed", () -> http.get("/v1/collections/customers/records/email/" + key + "@example.com", bearer(ADMIN))
                .statusCode() == 200);
        final String limited = createKey("{\"name\":\"limited\",\"collections\":[\"customers\"],\"fields\":[\"full_name\"]}");
        try (EventStream stream = EventStream.open(url(instances.get(2), "/v1/collections/customers/records/email/" + key + "@example.com/changes"),
                bearer(limited))) {
            assertEquals(200, stream.status());
            final JsonNode first = json(stream.next(EVENT).data());
            assertEquals("s0", first.path("full_name").asText());
            assertNull(first.get("email"), "the key's field allow-list holds on the stream: " + first);
            assertNull(first.get("lifetime_value"));
            upsert(key, "s1");
            final JsonNode changed = json(stream.next(EVENT).data());
            assertEquals("s1", changed.path("full_name").asText());
            assertEquals(1, changed.size(), "only allowed fields: " + changed);
        }
    }

    @Test
    void shouldAnswerErrorsAsJsonBeforeTheStreamStarts() {
        final PersonaInstance any = instances.get(1);
        final String productsOnly = createKey("{\"name\":\"products only\",\"collections\":[\"products\"]}");
        assertError(EventStream.open(url(any, "/v1/collections/customers/records/id/x/changes")), 401, "unauthorized");
        assertError(EventStream.open(url(any, "/v1/collections/customers/records/id/x/changes"), bearer(productsOnly)), 403, "forbidden");
        assertError(EventStream.open(url(any, "/v1/collections/customers/records/nosuch/x/changes"), bearer(ADMIN)), 400, "unknown_index");
        assertError(EventStream.open(url(any, "/v1/collections/customers/records/email/nobody@example.com/changes"), bearer(ADMIN)), 404,
                "record_not_found");
        assertError(EventStream.open(url(any, "/v1/collections/customers/records/id/x/changes?meta=maybe"), bearer(ADMIN)), 400,
                "invalid_parameter");
        final String slow = createKey("{\"name\":\"slow\",\"collections\":[\"customers\"],\"rate\":\"1/m\"}");
        try (EventStream first = EventStream.open(url(any, "/v1/collections/customers/records/id/x/changes"), bearer(slow))) {
            assertEquals(200, first.status(), "a stream takes one request of the key's rate");
            assertError(EventStream.open(url(any, "/v1/collections/customers/records/id/x/changes"), bearer(slow)), 429, "rate_limited");
        }
    }

    private static void assertError(final EventStream stream, final int status, final String code) {
        try (stream) {
            assertEquals(status, stream.status());
            assertTrue(stream.response().headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
            assertEquals(code, json(stream.body()).path("error").asText());
        }
    }

    @Test
    void shouldStreamARecordThatDoesNotExistYetFromItsCreation() {
        final String key = "sub-4";
        try (EventStream stream = EventStream.open(url(instances.get(0), "/v1/collections/customers/records/id/" + key + "/changes"), bearer(ADMIN))) {
            assertEquals(200, stream.status());
            assertTrue(stream.drain(Duration.ofMillis(500)).isEmpty(), "no first event for a record that does not exist");
            upsert(key, "born");
            final EventStream.Event born = stream.next(EVENT);
            assertEquals("record", born.name());
            assertEquals("born", json(born.data()).path("full_name").asText());
        }
    }

    @Test
    void shouldEndTheStreamOfARevokedKeyBeforeItsNextEvent() {
        final String key = "sub-5";
        upsert(key, "k0");
        awaitName(key, "k0");
        final TestHttp http = new TestHttp(instances.get(0).port());
        final JsonNode created = json(http.post("/admin/keys", "{\"name\":\"revoked soon\",\"collections\":[\"customers\"]}", bearer(ADMIN)).body());
        try (EventStream stream = EventStream.open(url(instances.get(1), "/v1/collections/customers/records/id/" + key + "/changes"),
                bearer(created.path("key").asText()))) {
            assertEquals("k0", json(stream.next(EVENT).data()).path("full_name").asText());
            assertEquals(204, http.delete("/admin/keys/" + created.path("id").asText(), bearer(ADMIN)).statusCode());
            Poll.until(TIMEOUT, "the revocation known on every instance", () ->
                    new TestHttp(instances.get(1).port()).get("/v1/collections/customers/records/id/" + key, bearer(created.path("key").asText()))
                            .statusCode() == 401);
            upsert(key, "k1");
            awaitName(key, "k1");
            final List<EventStream.Event> after = stream.drain(Duration.ofSeconds(3));
            assertTrue(after.isEmpty(), "a revoked key sees no further change: " + after);
            assertTrue(stream.ended(EVENT), "and its stream ends");
        }
        assertFalse(instances.isEmpty());
    }

    @Test
    void shouldReleaseTheStreamsOfClientsThatWentAway() {
        final PersonaInstance one = instances.get(0);
        final TestHttp http = new TestHttp(one.port());
        final List<EventStream> streams = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            streams.add(EventStream.open(url(one, "/v1/collections/customers/records/id/gone-" + i + "/changes"), bearer(ADMIN)));
        }
        Poll.until(TIMEOUT, "three streams open", () -> subscriptions(http) >= 3);
        streams.forEach(EventStream::close);
        // Found out by the next keep-alive write (every 15 s), which fails on a closed connection.
        Poll.until(Duration.ofSeconds(60), "every stream released", () -> subscriptions(http) == 0);
    }

    private static int subscriptions(final TestHttp http) {
        return http.get("/metrics", bearer(ADMIN)).body().lines().filter(l -> l.startsWith("persona_change_subscriptions "))
                .mapToInt(l -> (int) Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElse(-1);
    }

    /** Resync and run debugger on the cluster too: the instance asked copies the topic; every instance shows the run. */
    @Test
    void shouldResyncATopicSyncFromAnyInstanceAndShowItsSampledChangesOnAnother() throws Exception {
        final String key = "sub-resync";
        upsert(key, "before resync");
        awaitName(key, "before resync");
        final TestHttp asked = new TestHttp(instances.get(1).port());
        assertEquals(202, asked.post("/admin/syncs/profiles/runs", "{\"full\":true}", bearer(ADMIN)).statusCode());
        final TestHttp other = new TestHttp(instances.get(2).port());
        final JsonNode run = Poll.until(TIMEOUT, "the resync succeeded, as another instance sees it", () -> {
            final JsonNode last = json(other.get("/admin/syncs/profiles/runs", bearer(ADMIN)).body()).path("runs").path(0);
            return last.path("status").asText().equals("succeeded") && last.path("full").asBoolean()
                    ? java.util.Optional.of(last) : java.util.Optional.empty();
        });
        assertTrue(run.path("rowsRead").asLong() > 0, run.toString());
        final String path = "/admin/syncs/profiles/runs/" + run.path("id").asText();
        Poll.until(TIMEOUT, "the resync's sampled changes, the record among them", () ->
                json(other.get(path, bearer(ADMIN)).body()).path("changes").findValuesAsText("key").contains(key));
        assertEquals("before resync", json(new TestHttp(instances.get(0).port()).get("/v1/collections/customers/records/id/" + key,
                bearer(ADMIN)).body()).path("full_name").asText(), "reading the topic again changes nothing that was current");
    }
}
