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
import dev.persona.topology.Json;
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
import java.util.Map;
import java.util.stream.IntStream;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A full resync of a topic sync reads its topic again from the start: after the mapping dropped a field, every
 * record loses it; rows changed since keep their latest values; the run is recorded.
 */
class TopicResyncIT {
    private static final String ADMIN = "topic-resync-admin-key";
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final int ROWS = 30;

    private static TestKafka kafka;
    private static Path dir;

    @BeforeAll
    static void start() throws IOException {
        kafka = TestKafka.start();
        dir = Files.createTempDirectory("persona-topic-resync");
    }

    @AfterAll
    static void stop() {
        kafka.close();
        TempDirs.delete(dir);
    }

    private static PersonaConfig config(final String app, final String mapping) {
        return ConfigLoader.withEnvironment(Map.of()).parse(dir.resolve(app + ".yaml"), """
                kafka: { bootstrapServers: "%1$s", applicationId: %2$s, topicPrefix: %2$s }
                collections:
                  - { name: people, primaryIndex: id, partitions: 3 }
                syncs:
                  - id: traits
                    collection: people
                    source: { type: topic, topic: %2$s.traits }
                    primaryKey: id
                    mapping: %3$s
                """.formatted(kafka.bootstrapServers(), app, mapping));
    }

    private static String record(final TestHttp http, final int id) {
        final HttpResponse<String> got = http.get("/v1/collections/people/records/id/p" + id, bearer(ADMIN));
        return got.statusCode() == 200 ? got.body() : String.valueOf(got.statusCode());
    }

    private static void produce(final KafkaProducer<String, byte[]> producer, final String topic, final int id, final String name) {
        producer.send(new ProducerRecord<>(topic, "p" + id, ("{\"op\":\"upsert\",\"row\":{\"id\":\"p" + id + "\",\"name\":\"" + name
                + "\",\"email\":\"p" + id + "@example.com\"}}").getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void shouldReadTheTopicAgainFromItsStartRemovingFieldsNoLongerMapped() throws Exception {
        final String app = TestKafka.uniqueName("topicresync");
        final String topic = app + ".traits";
        final PersonaConfig both = config(app, "[ { from: name }, { from: email } ]");
        try (PersonaInstance instance = PersonaInstance.start(both, InstanceOptions.local(dir.resolve("a"), dir.resolve("a")).withAdminKey(ADMIN));
             KafkaProducer<String, byte[]> producer = kafka.producer()) {
            IntStream.range(0, ROWS).forEach(i -> produce(producer, topic, i, "n" + i));
            producer.flush();
            final TestHttp http = new TestHttp(instance.port());
            Poll.until(TIMEOUT, "every row merged", () -> IntStream.range(0, ROWS).allMatch(i -> record(http, i).contains("@example.com")));
        }
        final PersonaConfig nameOnly = config(app, "[ { from: name } ]");
        try (PersonaInstance instance = PersonaInstance.start(nameOnly, InstanceOptions.local(dir.resolve("a"), dir.resolve("a")).withAdminKey(ADMIN));
             KafkaProducer<String, byte[]> producer = kafka.producer()) {
            final TestHttp http = new TestHttp(instance.port());
            Poll.until(TIMEOUT, "ready", () -> http.get("/readyz").statusCode() == 200);
            assertTrue(record(http, 5).contains("p5@example.com"), "without a resync the field no longer mapped stays: " + record(http, 5));
            produce(producer, topic, 7, "changed since");
            producer.flush();
            Poll.until(TIMEOUT, "the live change", () -> record(http, 7).contains("changed since"));

            final HttpResponse<String> plain = http.post("/admin/syncs/traits/runs", "", bearer(ADMIN));
            assertEquals(400, plain.statusCode(), plain.body());
            assertTrue(plain.body().contains("--full"), plain.body());
            final HttpResponse<String> guessed = http.post("/admin/syncs/traits/runs", "{\"full\":\"yes\"}", bearer(ADMIN));
            assertEquals(400, guessed.statusCode(), "a \"full\" that is not a boolean is refused, not read as false: " + guessed.body());
            assertTrue(guessed.body().contains("\\\"full\\\" must be true or false"), guessed.body());
            final HttpResponse<String> cancel = http.post("/admin/syncs/traits/cancel", "", bearer(ADMIN));
            assertEquals(400, cancel.statusCode(), "a topic sync has no runs to cancel: " + cancel.body());
            assertTrue(cancel.body().contains("not_a_query_sync") && cancel.body().contains("only query syncs have runs to cancel"), cancel.body());
            final HttpResponse<String> full = http.post("/admin/syncs/traits/runs", "{\"full\":true}", bearer(ADMIN));
            assertEquals(202, full.statusCode(), full.body());

            Poll.until(TIMEOUT, "every record without the field", () -> IntStream.range(0, ROWS)
                    .allMatch(i -> record(http, i).equals("{\"id\":\"p" + i + "\",\"name\":\"" + (i == 7 ? "changed since" : "n" + i) + "\"}")));
            final JsonNode run = Poll.until(TIMEOUT, "the resync recorded", () -> {
                try {
                    final JsonNode last = Json.mapper().readTree(http.get("/admin/syncs/traits/runs", bearer(ADMIN)).body()).path("runs").path(0);
                    return last.path("status").asText().equals("succeeded") ? java.util.Optional.of(last) : java.util.Optional.empty();
                } catch (final IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertEquals("full", run.path("trigger").asText(), run.toString());
            assertEquals(ROWS + 1, run.path("rowsRead").asLong(), "every row the topic holds, read again: " + run);
        }
    }
}
