package dev.persona.runtime;

import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestConfigs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CleanShutdownIT {
    @Test
    void shouldLeaveACheckpointSoThatTheNextStartRestoresNothing() throws Exception {
        final Path state = Files.createTempDirectory("persona-clean");
        try (TestKafka kafka = TestKafka.start()) {
            final PersonaConfig config = TestConfigs.customers(kafka.bootstrapServers(), TestKafka.uniqueName("clean"));
            try (PersonaInstance first = PersonaInstance.start(config, InstanceOptions.local(state, state).withAdminKey("clean"))) {
                try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
                    for (int i = 0; i < 200; i++) {
                        TestConfigs.produce(producer, config, "customers", "profiles", "k" + i, "{\"id\":\"k" + i + "\",\"name\":\"K" + i + "\",\"email\":\"k" + i + "@x.com\"}");
                    }
                }
                final TestHttp http = new TestHttp(first.port());
                Poll.until(Duration.ofSeconds(60), "every record", () -> java.util.stream.IntStream.range(0, 200)
                        .allMatch(i -> http.get("/v1/collections/customers/records/id/k" + i, bearer("clean")).statusCode() == 200));
            }
            try (PersonaInstance second = PersonaInstance.start(config, InstanceOptions.local(state, state).withAdminKey("clean"))) {
                Poll.until(Duration.ofSeconds(60), "running again", () -> second.streams().state() == KafkaStreams.State.RUNNING);
                final TestHttp http = new TestHttp(second.port());
                assertEquals(200, http.get("/v1/collections/customers/records/id/k7", bearer("clean")).statusCode());
                assertEquals(0, second.status().restoredRecords(), "a clean stop leaves checkpoints: nothing to restore");
                assertTrue(http.get("/admin/cluster", bearer("clean")).body().contains("\"restoredRecords\":0"));
            }
            TempDirs.delete(state);
            try (PersonaInstance wiped = PersonaInstance.start(config, InstanceOptions.local(state, state).withAdminKey("clean"))) {
                Poll.until(Duration.ofSeconds(60), "restored from the changelogs", () -> wiped.status().restoredRecords() >= 200);
            }
        } finally {
            TempDirs.delete(state);
        }
    }
}
