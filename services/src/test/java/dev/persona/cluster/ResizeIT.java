package dev.persona.cluster;

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
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A collection's {@code partitions} changed, rolled out beside the running cluster: the new instance builds a version
 * of the new partition count (its stores copied key by key into their new partitions, its own topics read through a
 * repartition step), answers every record by id and by index as the running one does, and goes on with what the
 * sources change and what a purge erases, while the running instance answers throughout.
 */
class ResizeIT {
    private static final String ADMIN = "resize-admin-key-0123456789";
    private static final Duration TIMEOUT = Duration.ofSeconds(180);
    private static final int PEOPLE = 200;

    private static TestKafka kafka;
    private static Path dir;
    private static DuckDb warehouse;

    @BeforeAll
    static void start() throws IOException {
        kafka = TestKafka.start();
        dir = Files.createTempDirectory("persona-resize");
        warehouse = new DuckDb(dir.resolve("warehouse.duckdb"));
        warehouse.execute("create table people (id varchar primary key, name varchar, email varchar)",
                "insert into people select i::varchar, 'n' || i, 'p' || i || '@example.com' from range(1, " + (PEOPLE + 1) + ") t(i)");
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

    private static PersonaConfig config(final String app, final int partitions) throws IOException {
        return ConfigLoader.withEnvironment(Map.of()).parse(dir.resolve("persona-" + partitions + ".yaml"), """
                kafka: { bootstrapServers: "%1$s", applicationId: %2$s, topicPrefix: %2$s }
                collections:
                  - { name: people, primaryIndex: id, secondaryIndices: [ email ], partitions: %3$d }
                syncs:
                  - id: model
                    collection: people
                    source: { type: query, connection: "%4$s", sql: "select id, name, email from people", schedule: every 1s }
                    primaryKey: id
                    mapping: [ { from: name }, { from: email } ]
                  - { id: events, collection: people, source: { type: topic, topic: %2$s-events }, primaryKey: id, mapping: [ { from: last_event } ] }
                """.formatted(kafka.bootstrapServers(), app, partitions, warehouse.url()));
    }

    private static PersonaInstance start(final PersonaConfig config, final String name) {
        return PersonaInstance.start(config, InstanceOptions.local(dir.resolve(name), dir.resolve(name)).withAdminKey(ADMIN));
    }

    private static void event(final String topic, final int id, final String event) throws Exception {
        try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
            producer.send(new ProducerRecord<>(topic, Integer.toString(id),
                    ("{\"op\":\"upsert\",\"row\":{\"id\":\"" + id + "\",\"last_event\":\"" + event + "\"}}").getBytes(StandardCharsets.UTF_8))).get();
        }
    }

    private static JsonNode record(final TestHttp http, final String path) {
        final HttpResponse<String> answer = http.get("/v1/collections/people/records/" + path, bearer(ADMIN));
        try {
            return answer.statusCode() == 200 ? Json.mapper().readTree(answer.body()) : null;
        } catch (final IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether every person answers, by id and by email, with the warehouse's fields and their event. */
    private static boolean everyoneAnswers(final TestHttp http) {
        for (int id = 1; id <= PEOPLE; id++) {
            final JsonNode byId = record(http, "id/" + id);
            if (byId == null || !byId.path("name").asText().equals("n" + id) || !byId.path("last_event").asText().equals("e" + id)
                    || !byId.equals(record(http, "email/p" + id + "@example.com"))) {
                return false;
            }
        }
        return true;
    }

    @Test
    void shouldResizeACollectionBesideTheRunningVersionAndAnswerThroughout() throws Exception {
        final String app = TestKafka.uniqueName("resize");
        final String events = app + "-events";
        try (Admin admin = kafka.admin()) {
            admin.createTopics(List.of(new NewTopic(events, 2, (short) 1))).all().get();
        }
        for (int id = 1; id <= PEOPLE; id++) {
            event(events, id, "e" + id);
        }
        final PersonaInstance first = start(config(app, 2), "first");
        PersonaInstance second = null;
        PersonaInstance third = null;
        final TestHttp one = new TestHttp(first.port());
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong answered = new AtomicLong();
        final ConcurrentLinkedQueue<String> failed = new ConcurrentLinkedQueue<>();
        final Thread reader = new Thread(() -> {
            while (!stop.get()) {
                // Person 9 is purged below, and 7 renamed: the others answer as they are throughout.
                final int id = 10 + ThreadLocalRandom.current().nextInt(PEOPLE - 9);
                final JsonNode answer = record(one, "id/" + id);
                if (answer != null && answer.path("name").asText().equals("n" + id)) {
                    answered.incrementAndGet();
                } else {
                    failed.add(id + ": " + answer);
                }
            }
        }, "lookups");
        try {
            Poll.until(TIMEOUT, "the first version answers for everyone", () -> everyoneAnswers(one));
            reader.start();

            // The events topic's retention takes what the first version read: from now on, the records' events are
            // only in its stores, and the resized version has them only if it copied them.
            try (Admin admin = kafka.admin()) {
                final Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.RecordsToDelete> retention = new java.util.HashMap<>();
                for (int p = 0; p < 2; p++) {
                    final org.apache.kafka.common.TopicPartition partition = new org.apache.kafka.common.TopicPartition(events, p);
                    retention.put(partition, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(admin.listOffsets(
                            Map.of(partition, org.apache.kafka.clients.admin.OffsetSpec.latest())).partitionResult(partition).get().offset()));
                }
                admin.deleteRecords(retention).all().get();
            }
            second = start(config(app, 3), "second");
            final TestHttp two = new TestHttp(second.port());
            Poll.until(TIMEOUT, "the resized version complete and its instance ready", () -> two.get("/readyz").statusCode() == 200);

            // Everyone, by id and by the index, copied key by key into three partitions.
            assertTrue(everyoneAnswers(two), "every record and index entry in its new partition");
            final JsonNode collections = Json.mapper().readTree(two.get("/admin/collections", bearer(ADMIN)).body());
            assertEquals(3, collections.findValue("partitions").asInt(), collections.toString());
            try (Admin admin = kafka.admin()) {
                final List<Integer> counts = admin.describeTopics(admin.listTopics().names().get().stream()
                                .filter(t -> t.startsWith(app + "-") && t.endsWith("-records-people-changelog")).toList()).allTopicNames().get()
                        .values().stream().map(t -> t.partitions().size()).sorted().toList();
                assertEquals(List.of(2, 3), counts, "the running version's changelog, and the resized one's");
                assertEquals(2, admin.describeTopics(List.of(app + ".people.model.changes")).allTopicNames().get()
                        .get(app + ".people.model.changes").partitions().size(), "the sync topic keeps the count it was made with");
            }

            // What the sources change reaches the resized version: the query sync's topic through the repartition
            // step, the topic sync's through its own.
            warehouse.execute("update people set name = 'renamed', email = 'renamed@example.com' where id = '7'");
            event(events, 8, "late");
            Poll.until(TIMEOUT, "changes after the resize", () -> {
                final JsonNode seven = record(two, "email/renamed@example.com");
                final JsonNode eight = record(two, "id/8");
                return seven != null && seven.path("name").asText().equals("renamed") && record(two, "email/p7@example.com") == null
                        && eight != null && eight.path("last_event").asText().equals("late");
            });

            // A purge answered by the resized instance is applied when it answers, through the repartition step.
            final HttpResponse<String> purged = two.post("/admin/collections/people/purge", "{\"value\":\"9\"}", bearer(ADMIN));
            assertEquals(200, purged.statusCode(), purged.body());
            assertEquals(404, two.get("/v1/collections/people/records/id/9", bearer(ADMIN)).statusCode(), "erased when the purge answers");
            assertEquals(404, two.get("/v1/collections/people/records/email/p9@example.com", bearer(ADMIN)).statusCode());

            // Resized again, to another count: another version (the description names the same steps; the fingerprint
            // tells the counts apart), copied from the running ones, not the three-partition version taken again.
            third = start(config(app, 4), "third");
            final TestHttp three = new TestHttp(third.port());
            Poll.until(TIMEOUT, "the version of four partitions complete and its instance ready", () -> three.get("/readyz").statusCode() == 200);
            for (int id = 10; id <= PEOPLE; id++) {
                final JsonNode byId = record(three, "id/" + id);
                assertTrue(byId != null && byId.path("name").asText().equals("n" + id) && byId.equals(record(three, "email/p" + id + "@example.com")),
                        id + ": " + byId);
            }
            assertEquals(4, Json.mapper().readTree(three.get("/admin/collections", bearer(ADMIN)).body()).findValue("partitions").asInt());

            stop.set(true);
            reader.join(10_000);
            assertEquals(List.of(), List.copyOf(failed), "the running version answered throughout (" + answered.get() + " lookups)");
            assertTrue(answered.get() > 0, "lookups ran");
        } finally {
            stop.set(true);
            reader.join(10_000);
            if (third != null) {
                third.close();
            }
            if (second != null) {
                second.close();
            }
            first.close();
        }
    }
}
