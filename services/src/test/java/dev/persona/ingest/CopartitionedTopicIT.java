package dev.persona.ingest;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import org.apache.kafka.clients.admin.NewTopic;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.stream.IntStream;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A topic source marked copartitioned is read in place, and one with another partition count stops start-up. */
class CopartitionedTopicIT {
    private static final String ADMIN = "copartitioned-admin";

    private static TestKafka kafka;
    private static Path home;

    @BeforeAll
    static void start() throws IOException {
        kafka = TestKafka.start();
        home = Files.createTempDirectory("persona-copartitioned");
    }

    @AfterAll
    static void stop() {
        kafka.close();
        TempDirs.delete(home);
    }

    private static PersonaConfig config(final String app, final String topic, final int partitions) {
        return ConfigLoader.withEnvironment(Map.of()).parse(home.resolve(app + ".yaml"), """
                kafka: { bootstrapServers: "%s", applicationId: %s, topicPrefix: %s }
                collections:
                  - { name: accounts, primaryIndex: account_id, partitions: %d }
                syncs:
                  - id: billing
                    collection: accounts
                    source: { type: topic, topic: %s, format: envelope, copartitioned: true }
                    primaryKey: account_id
                    mapping: [ { from: plan } ]
                """.formatted(kafka.bootstrapServers(), app, app, partitions, topic));
    }

    @Test
    void shouldServeRowsOfAKeyedTopicReadInPlace() throws ExecutionException, InterruptedException {
        final String app = TestKafka.uniqueName("copart");
        final String topic = app + "-billing";
        kafka.admin().createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
        try (PersonaInstance instance = PersonaInstance.start(config(app, topic, 3), InstanceOptions.local(home.resolve(app), home).withAdminKey(ADMIN));
             KafkaProducer<String, byte[]> producer = kafka.producer()) {
            for (int i = 0; i < 30; i++) {
                producer.send(new ProducerRecord<>(topic, "a" + i, ("{\"op\":\"upsert\",\"row\":{\"account_id\":\"a" + i + "\",\"plan\":\"pro\"}}")
                        .getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
            final TestHttp http = new TestHttp(instance.port());
            Poll.until(Duration.ofSeconds(60), "every account readable", () -> IntStream.range(0, 30)
                    .allMatch(i -> http.get("/v1/collections/accounts/records/id/a" + i, bearer(ADMIN)).statusCode() == 200));
            assertEquals("{\"account_id\":\"a7\",\"plan\":\"pro\"}", http.get("/v1/collections/accounts/records/id/a7", bearer(ADMIN)).body());
            assertTrue(kafka.admin().listTopics().names().get().stream().noneMatch(t -> t.contains("billing-by-key")), "no repartition topic");
        }
    }

    @Test
    void shouldRefuseToStartWhenTheTopicHasAnotherPartitionCount() throws ExecutionException, InterruptedException {
        final String app = TestKafka.uniqueName("copart-mismatch");
        final String topic = app + "-billing";
        kafka.admin().createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
        final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> PersonaInstance.start(config(app, topic, 3), InstanceOptions.local(home.resolve(app), home).withAdminKey(ADMIN)));
        assertEquals("sync 'billing' reads topic " + topic + " as copartitioned, but it has 2 partitions and its collection declares 3: "
                + "set the collection's partitions to 2, or remove 'copartitioned' from the sync's source so that Persona repartitions the rows",
                e.getMessage());
    }
}
