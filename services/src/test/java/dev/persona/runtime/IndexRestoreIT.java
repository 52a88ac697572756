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
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.IntStream;

import static dev.persona.testing.TestHttp.bearer;

/** Indices restore from their changelogs like records do. */
class IndexRestoreIT {
    @Test
    void shouldAnswerIndexLookupsAfterARestartWithAWipedStateDirectory() throws Exception {
        final Path first = Files.createTempDirectory("persona-index-a");
        final Path second = Files.createTempDirectory("persona-index-b");
        try (TestKafka kafka = TestKafka.start()) {
            final PersonaConfig config = TestConfigs.customers(kafka.bootstrapServers(), TestKafka.uniqueName("restore"));
            try (PersonaInstance instance = PersonaInstance.start(config, InstanceOptions.local(first, first).withAdminKey("restore"))) {
                try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
                    for (int i = 0; i < 20; i++) {
                        TestConfigs.produce(producer, config, "customers", "profiles", "r" + i,
                                "{\"id\":\"r" + i + "\",\"name\":\"R" + i + "\",\"email\":\"r" + i + "@example.com\"}");
                    }
                }
                final TestHttp http = new TestHttp(instance.port());
                Poll.until(Duration.ofSeconds(60), "every record by email", () -> IntStream.range(0, 20).allMatch(i ->
                        http.get("/v1/collections/customers/records/email/r" + i + "@example.com", bearer("restore")).statusCode() == 200));
            }
            TempDirs.delete(first);
            try (PersonaInstance restarted = PersonaInstance.start(config, InstanceOptions.local(second, second).withAdminKey("restore"))) {
                final TestHttp http = new TestHttp(restarted.port());
                Poll.until(Duration.ofSeconds(60), "every record by email after restoring from the changelogs", () -> IntStream.range(0, 20).allMatch(i ->
                        http.get("/v1/collections/customers/records/email/r" + i + "@example.com", bearer("restore")).body().contains("\"R" + i + "\"")));
            }
        } finally {
            TempDirs.delete(first);
            TempDirs.delete(second);
        }
    }
}
