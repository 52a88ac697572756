package dev.persona.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SecretsTest {
    private static final String PLANTED = "Planted-S3cret+9f2";

    private static PersonaConfig config() {
        return ConfigLoader.withEnvironment(Map.of("PG", PLANTED, "JAAS_PW", "kafka-pw-77", "CLUSTER", "c".repeat(20))).parse(Path.of("s.yaml"), """
                kafka:
                  bootstrapServers: "k:9092"
                  properties:
                    sasl.jaas.config: 'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="${JAAS_PW}";'
                http: { clusterSecret: "${CLUSTER}" }
                collections: [ { name: people, primaryIndex: person_id } ]
                syncs:
                  - id: people
                    collection: people
                    source: { type: query, connection: "jdbc:postgresql://db:5432/app?user=app&password=${PG}", sql: "select 1 as id", schedule: "every 1m" }
                    primaryKey: id
                    mapping: [ { from: id } ]
                """);
    }

    @Test
    void shouldMaskEverySecretOfTheConfigurationWhereverItAppears() {
        final Secrets secrets = Secrets.of(config());
        final String driverMessage = "FATAL: password " + PLANTED + " rejected; url jdbc:postgresql://db/app?password="
                + java.net.URLEncoder.encode(PLANTED, java.nio.charset.StandardCharsets.UTF_8) + " and kafka-pw-77 and " + "c".repeat(20);
        final String redacted = secrets.redact(driverMessage);
        assertFalse(redacted.contains("S3cret") || redacted.contains("kafka-pw-77") || redacted.contains("c".repeat(20)), redacted);
        assertTrue(redacted.contains(Secrets.MASK));
        assertNull(secrets.redact(null));
    }

    @Test
    void shouldMaskAnythingShapedLikeAPasswordEvenWhenUnknown() {
        assertEquals("jdbc:mysql://h/db?user=a&password=***", Secrets.masked("jdbc:mysql://h/db?user=a&password=hunter2"));
        assertEquals("jdbc:postgresql://app:***@h/db", Secrets.masked("jdbc:postgresql://app:hunter2@h/db"));
        assertEquals("password=\"***\";", Secrets.masked("password=\"hunter 2\";"));
        assertEquals("No suitable driver found for jdbc:x://h/db;user=a;password=***",
                Secrets.masked("No suitable driver found for jdbc:x://h/db;user=a;password=hunter2"));
        assertEquals("nothing secret here", Secrets.masked("nothing secret here"));
    }
}
