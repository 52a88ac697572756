package dev.persona.kafka;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.config.TlsSettings;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestConfigs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import dev.persona.tls.DemoCertificates;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Persona against a broker that speaks TLS, configured through {@code kafka.properties} alone, with a CA made at
 * test time: every client (Streams, the key store, ingest, admin) must take the properties.
 */
class KafkaTlsIT {
    private static final String ADMIN = "kafka-tls-admin";

    @Test
    void shouldRunAgainstABrokerThatSpeaksOnlyTlsToIt() throws Exception {
        final Path dir = Files.createTempDirectory("persona-kafka-tls");
        final TlsSettings tls = DemoCertificates.create(dir.resolve("tls"));
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0, tls)) {
            final String app = TestKafka.uniqueName("kafkatls");
            final String yaml = TestConfigs.customersYaml(broker.sslBootstrapServers(), app).replace("kafka:\n", """
                    kafka:
                      properties:
                        security.protocol: SSL
                        ssl.truststore.type: PEM
                        ssl.truststore.location: "%s"
                    """.formatted(tls.trustedCertificates()));
            final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).parse(dir.resolve("persona.yaml"), yaml);
            final Path state = Files.createTempDirectory(dir, "state");
            try (PersonaInstance instance = PersonaInstance.start(config, InstanceOptions.local(state, state).withAdminKey(ADMIN))) {
                final Map<String, Object> producerProps = new HashMap<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.sslBootstrapServers()));
                producerProps.putAll(config.kafka().properties());
                try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer())) {
                    TestConfigs.produce(producer, config, "customers", "profiles", "7", "{\"id\":\"7\",\"name\":\"Over TLS\",\"email\":\"tls@example.com\"}");
                }
                final TestHttp http = new TestHttp(instance.port());
                Poll.until(Duration.ofSeconds(60), "the record merged over TLS", () ->
                        http.get("/v1/collections/customers/records/email/tls@example.com", bearer(ADMIN)).body().contains("Over TLS"));
                assertEquals(201, http.post("/admin/keys", "{\"name\":\"k\",\"collections\":\"*\"}", bearer(ADMIN)).statusCode(),
                        "the key store writes over TLS too");
            }
        } finally {
            TempDirs.delete(dir);
        }
    }
}
