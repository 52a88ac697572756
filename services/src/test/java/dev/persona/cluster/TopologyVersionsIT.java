package dev.persona.cluster;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
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
import java.util.concurrent.atomic.AtomicReference;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A configuration change that changes the topology rolls out one instance at a time: the new instance builds a new
 * version of the topology beside the running one (its stores copied from it, then caught up), answers once the
 * version is complete, with everything the change adds already there, while the old instance answers throughout;
 * once no instance runs the old version, its topics are deleted (they hold records a purge would no longer reach).
 * Rolled back, the old file builds a version again, without what the sync it lacks wrote.
 */
class TopologyVersionsIT {
    private static final String ADMIN = "topology-versions-admin-key";
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final int PEOPLE = 300;

    private static TestKafka kafka;
    private static Path dir;

    @BeforeAll
    static void start() throws IOException {
        kafka = TestKafka.start();
        dir = Files.createTempDirectory("persona-topology-versions");
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

    private static PersonaConfig config(final String app, final String name, final String indices, final String moreSyncs) throws IOException {
        return ConfigLoader.withEnvironment(Map.of()).parse(dir.resolve(name + ".yaml"), """
                kafka: { bootstrapServers: "%1$s", applicationId: %2$s, topicPrefix: %2$s }
                collections:
                  - { name: people, primaryIndex: id, secondaryIndices: [ %3$s ], partitions: 2 }
                syncs:
                  - { id: traits, collection: people, source: { type: topic, topic: %2$s-traits }, primaryKey: id, mapping: [ { from: name } ] }
                %4$s
                """.formatted(kafka.bootstrapServers(), app, indices, moreSyncs));
    }

    private static PersonaInstance start(final PersonaConfig config, final String name) {
        return PersonaInstance.start(config, InstanceOptions.local(dir.resolve(name), dir.resolve(name)).withAdminKey(ADMIN));
    }

    /**
     * Rows in one transaction, as Persona's own syncs write them: each partition ends with a transaction marker, which
     * no consumer's committed offset passes until another row follows.
     */
    private static void produce(final String topic, final String field, final String prefix) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                org.apache.kafka.clients.producer.ProducerConfig.TRANSACTIONAL_ID_CONFIG, TestKafka.uniqueName("rows")),
                new org.apache.kafka.common.serialization.StringSerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int id = 1; id <= PEOPLE; id++) {
                final String row = "{\"op\":\"upsert\",\"row\":{\"id\":\"" + id + "\",\"" + field + "\":\"" + prefix + id + "\"}}";
                producer.send(new ProducerRecord<>(topic, Integer.toString(id), row.getBytes(StandardCharsets.UTF_8)));
            }
            producer.commitTransaction();
        }
    }

    private static HttpResponse<String> lookup(final TestHttp http, final int id) {
        return http.get("/v1/collections/people/records/id/" + id, bearer(ADMIN));
    }

    @Test
    void shouldBuildANewVersionBesideTheRunningOneAndAnswerThroughout() throws Exception {
        final String app = TestKafka.uniqueName("versions");
        final PersonaConfig old = config(app, "old", "", "");
        final PersonaConfig added = config(app, "added", "email", """
                  - { id: emails, collection: people, source: { type: topic, topic: %1$s-emails }, primaryKey: id, mapping: [ { from: email } ] }
                  - { id: copy, collection: people, source: { type: topic, topic: %1$s-traits }, primaryKey: id, mapping: [ { from: name, to: alias } ] }
                """.formatted(app));
        try (Admin admin = kafka.admin()) {
            admin.createTopics(List.of(new NewTopic(app + "-traits", 2, (short) 1), new NewTopic(app + "-emails", 2, (short) 1))).all().get();
        }
        produce(app + "-traits", "name", "n");
        final PersonaInstance first = start(old, "first");
        PersonaInstance second = null;
        PersonaInstance third = null;
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong answered = new AtomicLong();
        final ConcurrentLinkedQueue<String> failed = new ConcurrentLinkedQueue<>();
        final AtomicReference<TestHttp> target = new AtomicReference<>(new TestHttp(first.port()));
        final Thread reader = new Thread(() -> {
            while (!stop.get()) {
                final int id = 1 + ThreadLocalRandom.current().nextInt(PEOPLE);
                final HttpResponse<String> answer = lookup(target.get(), id);
                if (answer.statusCode() == 200 && answer.body().contains("\"name\":\"n" + id + "\"")) {
                    answered.incrementAndGet();
                } else {
                    failed.add(id + ": " + answer.statusCode() + " " + answer.body());
                }
            }
        }, "lookups");
        try {
            final TestHttp one = new TestHttp(first.port());
            Poll.until(TIMEOUT, "the first version answers for everyone", () -> {
                for (int id = 1; id <= PEOPLE; id++) {
                    if (lookup(one, id).statusCode() != 200) {
                        return false;
                    }
                }
                return true;
            });
            reader.start();
            produce(app + "-emails", "email", "e");
            // The new configuration adds a sync and the collection's first secondary index: a new topology.
            second = start(added, "second");
            final TestHttp two = new TestHttp(second.port());
            // Building (the version completes seconds later at the soonest): not ready, and saying why; the admin API
            // and the metric say so too.
            // Once its Streams run (the version then takes three rounds of a second at least to complete); an admin key sees why.
            Poll.until(TIMEOUT, "readiness naming the building version", () -> {
                final HttpResponse<String> notReady = two.get("/readyz", bearer(ADMIN));
                return notReady.statusCode() == 503 && notReady.body().contains("topology-version");
            });
            final String building0 = two.get("/admin/collections", bearer(ADMIN)).body();
            assertTrue(building0.contains("\"state\":\"building\""), building0);
            assertTrue(two.get("/metrics", bearer(ADMIN)).body().contains("persona_topology_version_building 1.0"), "the gauge says building");
            // A lookup sent to it meanwhile is relayed to the running version's instance and answered as that one
            // answers (without what the change adds: the old version's whole record).
            final HttpResponse<String> relayed = lookup(two, 5);
            assertEquals(200, relayed.statusCode(), relayed.body());
            assertTrue(relayed.body().contains("\"name\":\"n5\"") && !relayed.body().contains("alias"), relayed.body());
            assertTrue(relayed.headers().firstValue("X-Persona-Relayed-To").orElse("").endsWith(":" + first.port()), relayed.headers().map().toString());
            // While the new version builds, its instance answers a record of the running version (relayed), a whole
            // record of its own, or 503: never one of its own without the new field.
            final AtomicLong refused = new AtomicLong();
            final ConcurrentLinkedQueue<String> halfBuilt = new ConcurrentLinkedQueue<>();
            final Thread building = new Thread(() -> {
                while (two.get("/readyz").statusCode() != 200 && !stop.get()) {
                    final int id = 1 + ThreadLocalRandom.current().nextInt(PEOPLE);
                    final HttpResponse<String> answer = lookup(two, id);
                    final boolean fromRunning = answer.headers().firstValue("X-Persona-Relayed-To").isPresent();
                    if (answer.statusCode() == 503 && answer.headers().firstValue("Retry-After").isPresent()) {
                        refused.incrementAndGet();
                    } else if (answer.statusCode() != 200 || !answer.body().contains("\"name\":\"n" + id + "\"")
                            || !fromRunning && (!answer.body().contains("\"email\":\"e" + id + "\"") || !answer.body().contains("\"alias\":"))) {
                        halfBuilt.add(id + ": " + answer.statusCode() + " " + answer.body());
                    }
                }
            }, "lookups-while-building");
            building.start();
            Poll.until(TIMEOUT, "the new version complete and its instance ready", () -> two.get("/readyz").statusCode() == 200);
            building.join(10_000);
            assertEquals(List.of(), List.copyOf(halfBuilt), "while building: the running version's record, the whole record, or 503 with "
                    + "Retry-After (" + refused.get() + " refused)");
            // Ready means complete: every row the new sync's topic held when the version started is merged.
            for (int id = 1; id <= PEOPLE; id++) {
                final String body = lookup(two, id).body();
                // A sync added beside another on the same topic reads it from its start too.
                assertTrue(body.contains("\"name\":\"n" + id + "\"") && body.contains("\"email\":\"e" + id + "\"")
                        && body.contains("\"alias\":\"n" + id + "\""), body);
            }
            assertEquals(200, two.get("/v1/collections/people/records/email/e7", bearer(ADMIN)).statusCode(), "the new index answers");
            assertTrue(two.get("/metrics", bearer(ADMIN)).body().contains("persona_topology_version_building 0.0"), "the gauge says complete");
            final String versions = two.get("/admin/collections", bearer(ADMIN)).body();
            assertTrue(versions.contains("\"applicationId\":\"" + app + "-") && versions.contains("\"state\":\"complete\""), versions);
            assertTrue(one.get("/admin/collections", bearer(ADMIN)).body().contains("\"applicationId\":\"" + app + "\""),
                    "the first version runs under the configured id");
            // The old instance goes; lookups move to the new one.
            target.set(two);
            first.close();
            try (Admin admin = kafka.admin()) {
                Poll.until(TIMEOUT, "the old version retired: its changelog deleted", () -> {
                    try {
                        return !admin.listTopics().names().get().contains(app + "-records-people-changelog");
                    } catch (final Exception e) {
                        return false;
                    }
                });
                assertTrue(admin.listTopics().names().get().contains(app + "-" + second.status().version().get("fingerprint").toString()
                        .substring(0, 8) + "-records-people-changelog"), "the new version's changelog stays");
            }
            // Rolled back: the old file again. Its version was retired, so it is a new one, copied from the running
            // one, without what the removed sync wrote.
            third = start(old, "third");
            final TestHttp three = new TestHttp(third.port());
            Poll.until(TIMEOUT, "the rolled-back version complete and its instance ready", () -> three.get("/readyz").statusCode() == 200);
            for (int id = 1; id <= PEOPLE; id++) {
                final String body = lookup(three, id).body();
                assertTrue(body.contains("\"name\":\"n" + id + "\"") && !body.contains("email") && !body.contains("alias"), body);
            }
            assertTrue(lookup(two, 9).body().contains("\"email\":\"e9\""), "the version beside it keeps its own records");
            final String rolledBack = three.get("/admin/collections", bearer(ADMIN)).body();
            assertTrue(rolledBack.contains("-g2\""), "a retired version's application id is not used again: " + rolledBack);
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
        assertTrue(answered.get() > 100, "lookups ran: " + answered.get());
        assertEquals(List.of(), List.copyOf(failed), "every lookup answered, through the whole change");
        assertFalse(failed.iterator().hasNext());
    }

    @Test
    void shouldAddACollectionBesideTheRunningOnesAndServeItWholeOnceReady() throws Exception {
        final String app = TestKafka.uniqueName("collection");
        final PersonaConfig old = config(app, "people-only", "", "");
        final PersonaConfig added = ConfigLoader.withEnvironment(Map.of()).parse(dir.resolve("with-orders.yaml"), """
                kafka: { bootstrapServers: "%1$s", applicationId: %2$s, topicPrefix: %2$s }
                collections:
                  - { name: people, primaryIndex: id, partitions: 2 }
                  - { name: orders, primaryIndex: id, partitions: 3 }
                syncs:
                  - { id: traits, collection: people, source: { type: topic, topic: %2$s-traits }, primaryKey: id, mapping: [ { from: name } ] }
                  - { id: lines, collection: orders, source: { type: topic, topic: %2$s-orders }, primaryKey: id, mapping: [ { from: total } ] }
                """.formatted(kafka.bootstrapServers(), app));
        try (Admin admin = kafka.admin()) {
            admin.createTopics(List.of(new NewTopic(app + "-traits", 2, (short) 1), new NewTopic(app + "-orders", 2, (short) 1))).all().get();
        }
        produce(app + "-traits", "name", "n");
        produce(app + "-orders", "total", "t");
        try (PersonaInstance first = start(old, app + "-first")) {
            final TestHttp one = new TestHttp(first.port());
            Poll.until(TIMEOUT, "the first version answers", () -> lookup(one, PEOPLE).statusCode() == 200);
            try (PersonaInstance second = start(added, app + "-second")) {
                final TestHttp two = new TestHttp(second.port());
                Poll.until(TIMEOUT, "the version with the new collection complete", () -> two.get("/readyz").statusCode() == 200);
                for (int id = 1; id <= PEOPLE; id++) {
                    final HttpResponse<String> order = two.get("/v1/collections/orders/records/id/" + id, bearer(ADMIN));
                    assertEquals(200, order.statusCode(), "order " + id + ": " + order.body());
                    assertTrue(order.body().contains("\"total\":\"t" + id + "\""), order.body());
                    assertTrue(lookup(two, id).body().contains("\"name\":\"n" + id + "\""), "the running collection, copied");
                }
                assertEquals(200, lookup(one, 1).statusCode(), "the old version answers beside it");
                assertEquals(404, one.get("/v1/collections/orders/records/id/1", bearer(ADMIN)).statusCode(),
                        "the old file has no such collection");
            }
        }
    }
}
