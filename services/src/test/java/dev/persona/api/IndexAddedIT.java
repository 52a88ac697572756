package dev.persona.api;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A secondary index added to a collection that already holds records finds those records too, not only the ones
 * whose field changes afterwards (it used to answer 404 for every record stored before it, until that record's value
 * of the field changed). A further index keeps the topology, so it rolls out with a restart.
 */
class IndexAddedIT {
    private static final String ADMIN = "index-added-admin-key";
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    private static TestKafka kafka;
    private static Path dir;

    @BeforeAll
    static void start() throws IOException {
        kafka = TestKafka.start();
        dir = Files.createTempDirectory("persona-index-added");
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

    private static PersonaConfig config(final String app, final String indices) {
        return ConfigLoader.withEnvironment(Map.of()).parse(dir.resolve(app + "-" + indices.replace(", ", "-") + ".yaml"), """
                kafka: { bootstrapServers: "%1$s", applicationId: %2$s, topicPrefix: %2$s }
                collections:
                  - { name: people, primaryIndex: id, secondaryIndices: [ %3$s ], partitions: 3 }
                syncs:
                  - { id: traits, collection: people, source: { type: topic, topic: %2$s-traits }, primaryKey: id,
                      mapping: [ { from: name }, { from: email }, { from: phone } ] }
                """.formatted(kafka.bootstrapServers(), app, indices));
    }

    private static PersonaInstance start(final PersonaConfig config) {
        return PersonaInstance.start(config, InstanceOptions.local(dir.resolve("state"), dir).withAdminKey(ADMIN));
    }

    private static int status(final TestHttp http, final String path) {
        return http.get("/v1/collections/people/records/" + path, bearer(ADMIN)).statusCode();
    }

    @Test
    void shouldFindRecordsStoredBeforeTheIndexWasAdded() throws Exception {
        final String app = TestKafka.uniqueName("indexadded");
        final int count = 40;
        try (PersonaInstance instance = start(config(app, "email"))) {
            final TestHttp http = new TestHttp(instance.port());
            try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
                for (int id = 1; id <= count; id++) {
                    final String row = "{\"op\":\"upsert\",\"row\":{\"id\":\"" + id + "\",\"name\":\"n" + id + "\",\"email\":\"p" + id
                            + "@example.com\",\"phone\":\"555-" + id + "\"}}";
                    producer.send(new ProducerRecord<>(app + "-traits", Integer.toString(id), row.getBytes(StandardCharsets.UTF_8))).get();
                }
            }
            Poll.until(TIMEOUT, "every record stored", () -> status(http, "id/" + count) == 200 && status(http, "email/p1@example.com") == 200);
            assertEquals(400, status(http, "phone/555-1"), "phone is no index yet: the lookup names an unknown index");
        }
        try (PersonaInstance instance = start(config(app, "email, phone"))) {
            final TestHttp http = new TestHttp(instance.port());
            Poll.until(TIMEOUT, "every stored record found by the new index", () -> {
                for (int id = 1; id <= count; id++) {
                    if (status(http, "phone/555-" + id) != 200) {
                        return false;
                    }
                }
                return true;
            });
            final String body = http.get("/v1/collections/people/records/phone/555-7", bearer(ADMIN)).body();
            assertTrue(body.contains("\"id\":\"7\"") && body.contains("p7@example.com"), body);
            assertEquals(200, status(http, "email/p7@example.com"), "the old index still finds it");
        }
    }
}
