package dev.persona.keys;

import dev.persona.config.PersonaConfig;
import dev.persona.kafka.EmbeddedKafkaBroker;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestConfigs;
import dev.persona.testing.TestHttp;
import dev.persona.topology.Json;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an instance does with keys when it cannot follow their topic, and the start-up admin key's revocation, on a
 * broker the test stops and starts again. Read in the code and reproduced here first: a key follower cut off from
 * Kafka saw only empty polls, so a key revoked meanwhile kept working on that instance and {@code /readyz} stayed
 * green; and {@code PERSONA_ADMIN_KEY} could not be revoked without restarting every instance with another.
 */
class KeysWhenKafkaIsGoneIT {
    private static final String ADMIN = "keys-gone-admin-0123456789";
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    private static PersonaConfig config(final String bootstrap, final String app, final Duration staleness) {
        final PersonaConfig base = TestConfigs.customers(bootstrap, app);
        return base.withHttp(base.http().withMaxKeyStaleness(staleness));
    }

    private static void produce(final String bootstrap, final PersonaConfig config) {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringSerializer(), new ByteArraySerializer())) {
            TestConfigs.produce(producer, config, "customers", "profiles", "1", "{\"id\":1,\"name\":\"One\",\"email\":\"one@example.com\"}");
        }
    }

    @Test
    void shouldRefuseEveryKeyAndSayNotReadyOnceKeyChangesCannotBeConfirmed() throws Exception {
        final Path dir = Files.createTempDirectory("persona-keys-gone");
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0);
        final String bootstrap = broker.bootstrapServers();
        final int brokerPort = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
        final PersonaConfig config = config(bootstrap, "keys-gone", Duration.ofSeconds(3));
        final Path state = dir.resolve("state");
        try (PersonaInstance instance = PersonaInstance.start(config, InstanceOptions.local(state, state).withAdminKey(ADMIN))) {
            final TestHttp http = new TestHttp(instance.port());
            produce(bootstrap, config);
            final HttpResponse<String> created = http.post("/admin/keys", "{\"name\":\"reader\",\"collections\":[\"customers\"]}", bearer(ADMIN));
            assertEquals(201, created.statusCode(), created.body());
            final String reader = Json.mapper().readTree(created.body()).path("key").asText();
            Poll.until(TIMEOUT, "the record readable, the instance ready", () ->
                    http.get("/v1/collections/customers/records/id/1", bearer(reader)).statusCode() == 200 && http.get("/readyz").statusCode() == 200);

            broker.close();
            Poll.until(Duration.ofSeconds(30), "every key refused with 503 keys_unverified", () -> {
                final HttpResponse<String> answer = http.get("/v1/collections/customers/records/id/1", bearer(reader));
                return answer.statusCode() == 503 && answer.body().contains("keys_unverified");
            });
            assertEquals(503, http.get("/readyz").statusCode(), "not ready while it cannot vouch for keys");
            assertEquals(503, http.post("/v1/collections/customers/records/batch", "{\"ids\":[\"1\"]}", bearer(ADMIN)).statusCode(),
                    "admin keys too: a revocation of one would not reach it either");

            broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), brokerPort);
            Poll.until(TIMEOUT, "keys accepted again once the follower confirms it is current", () ->
                    http.get("/v1/collections/customers/records/id/1", bearer(reader)).statusCode() == 200);
        } finally {
            broker.close();
            TempDirs.delete(dir);
        }
    }

    @Test
    void shouldRevokeTheStartUpAdminKeyOnEveryInstanceAndAcrossRestarts() throws Exception {
        final Path dir = Files.createTempDirectory("persona-keys-bootstrap");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0)) {
            final PersonaConfig config = config(broker.bootstrapServers(), "keys-bootstrap", Duration.ofMinutes(5));
            final Path state1 = dir.resolve("state-1");
            final Path state2 = dir.resolve("state-2");
            try (PersonaInstance one = PersonaInstance.start(config, InstanceOptions.local(state1, state1).withAdminKey(ADMIN));
                 PersonaInstance two = PersonaInstance.start(config, InstanceOptions.local(state2, state2).withAdminKey(ADMIN))) {
                final TestHttp first = new TestHttp(one.port());
                final TestHttp second = new TestHttp(two.port());
                final String list = first.get("/admin/keys", bearer(ADMIN)).body();
                final String id = Json.mapper().readTree(list).path("keys").findValues("id").stream().map(n -> n.asText())
                        .filter(k -> k.startsWith("bootstrap-")).findFirst().orElseThrow(() -> new AssertionError("the start-up key is listed: " + list));
                final HttpResponse<String> other = first.post("/admin/keys", "{\"name\":\"ops\",\"admin\":true}", bearer(ADMIN));
                assertEquals(201, other.statusCode(), other.body());
                final String ops = Json.mapper().readTree(other.body()).path("key").asText();

                assertEquals(204, first.delete("/admin/keys/" + id, bearer(ops)).statusCode(), "the start-up key's id is revocable");
                assertEquals(401, first.get("/admin/keys", bearer(ADMIN)).statusCode());
                Poll.until(Duration.ofSeconds(5), "refused on the other instance within seconds", () ->
                        second.get("/admin/keys", bearer(ADMIN)).statusCode() == 401);
            }
            try (PersonaInstance again = PersonaInstance.start(config, InstanceOptions.local(state1, state1).withAdminKey(ADMIN))) {
                assertEquals(401, new TestHttp(again.port()).get("/admin/keys", bearer(ADMIN)).statusCode(),
                        "a restart with the same PERSONA_ADMIN_KEY does not bring it back");
            }
        } finally {
            TempDirs.delete(dir);
        }
    }
}
