package dev.persona.client;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestConfigs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import dev.persona.topology.Json;
import dev.persona.topology.TopicNames;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JVM client against a real cluster of two instances (no standby copies, so that losing one makes its keys
 * unavailable for a while): lookups by key go to their owners, ETags save the body, a 503 is waited out.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PersonaClientIT {
    private static final String ADMIN = "client-admin";
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final int RECORDS = 40;

    private static TestKafka kafka;
    private static PersonaConfig config;
    private static PersonaInstance a;
    private static PersonaInstance b;
    private static Path stateA;
    private static Path stateB;
    private static PersonaClient client;

    @BeforeAll
    static void start() throws IOException {
        kafka = TestKafka.start();
        final String app = TestKafka.uniqueName("client");
        final String yaml = TestConfigs.customersYaml(kafka.bootstrapServers(), app).replaceFirst("(?m)^(  applicationId: .*)$", "$1\n  standbyReplicas: 0");
        config = ConfigLoader.withEnvironment(Map.of()).parse(Path.of(app + ".yaml"), yaml);
        stateA = Files.createTempDirectory("persona-ca");
        stateB = Files.createTempDirectory("persona-cb");
        a = PersonaInstance.start(config, InstanceOptions.local(stateA, stateA).withAdminKey(ADMIN));
        b = PersonaInstance.start(config, InstanceOptions.local(stateB, stateB).withAdminKey(ADMIN));
        try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
            for (int i = 0; i < RECORDS; i++) {
                TestConfigs.produce(producer, config, "customers", "profiles", "c" + i,
                        "{\"id\":\"c" + i + "\",\"name\":\"Customer " + i + "\",\"email\":\"c" + i + "@example.com\"}");
            }
        }
        final TestHttp http = new TestHttp(a.port());
        Poll.until(TIMEOUT, "both instances running with partitions of their own, every record readable", () ->
                a.streams().state() == KafkaStreams.State.RUNNING && b.streams().state() == KafkaStreams.State.RUNNING
                        && !keysOwnedBy(a).isEmpty() && !keysOwnedBy(b).isEmpty()
                        && IntStream.range(0, RECORDS).allMatch(i -> http.get("/v1/collections/customers/records/id/c" + i, bearer(ADMIN)).statusCode() == 200));
        client = PersonaClient.builder().endpoints("http://127.0.0.1:" + a.port(), "http://127.0.0.1:" + b.port()).apiKey(ADMIN)
                .maxAttempts(200).maxRetryWait(Duration.ofSeconds(90)).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        a.close();
        if (b != null) {
            b.close();
        }
        kafka.close();
        TempDirs.delete(stateA);
        TempDirs.delete(stateB);
    }

    private static List<String> keysOwnedBy(final PersonaInstance owner) {
        final List<String> keys = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
            final var metadata = a.streams().queryMetadataForKey(TopicNames.recordStore("customers"), "c" + i, new StringSerializer());
            if (metadata.activeHost() != null && metadata.activeHost().port() == owner.port()) {
                keys.add("c" + i);
            }
        }
        return keys;
    }

    /** The sum of a Prometheus counter over all its series on {@code instance}. */
    private static double counter(final PersonaInstance instance, final String name) {
        return new TestHttp(instance.port()).get("/metrics", bearer(ADMIN)).body().lines()
                .filter(line -> line.startsWith(name + " ") || line.startsWith(name + "{"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    @Order(1)
    void shouldSendEveryLookupByKeyToItsOwnerSoThatNoInstanceForwardsOne() throws IOException {
        final double forwardedBefore = counter(a, "persona_lookups_forwarded_total") + counter(b, "persona_lookups_forwarded_total");
        for (int i = 0; i < RECORDS; i++) {
            final Optional<PersonaClient.Record> record = client.get("customers", "c" + i);
            assertTrue(record.isPresent(), "c" + i);
            assertEquals("Customer " + i, Json.mapper().readTree(record.get().json()).path("full_name").asText());
            final int owner = a.streams().queryMetadataForKey(TopicNames.recordStore("customers"), "c" + i, new StringSerializer()).activeHost().port();
            assertEquals("127.0.0.1:" + owner, record.get().owner(), "answered by the owner, which says so");
            assertEquals("127.0.0.1:" + owner, client.ownerOf("customers", "c" + i).getAuthority(), "the owner a proxy would send c" + i + " to");
        }
        assertEquals(forwardedBefore, counter(a, "persona_lookups_forwarded_total") + counter(b, "persona_lookups_forwarded_total"),
                "no lookup was forwarded between the instances");
    }

    @Test
    @Order(2)
    void shouldAnswerAnUnchangedRecordFromMemoryAndAChangedOneAnew() throws IOException {
        final PersonaClient.Record first = client.get("customers", "c7").orElseThrow();
        final PersonaClient.Record again = client.get("customers", "c7").orElseThrow();
        assertTrue(again.unchanged(), "the second lookup sent the ETag and was answered 304");
        assertEquals(first.json(), again.json());
        try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
            TestConfigs.produce(producer, config, "customers", "profiles", "c7", "{\"id\":\"c7\",\"name\":\"Renamed\",\"email\":\"c7@example.com\"}");
        }
        Poll.until(TIMEOUT, "the change read through the client", () -> {
            final PersonaClient.Record now = client.get("customers", "c7").orElseThrow();
            return !now.unchanged() && now.json().contains("Renamed");
        });
    }

    @Test
    @Order(3)
    void shouldFindBySecondaryIndexAndSayWhenThereIsNoRecord() {
        assertTrue(client.find("customers", "email", "c3@example.com").orElseThrow().json().contains("Customer 3"));
        assertEquals(Optional.empty(), client.get("customers", "nobody/with a slash+plus"));
        assertEquals(Optional.empty(), client.find("customers", "email", "nobody@example.com"));
        final PersonaException refused = assertThrows(PersonaException.class, () -> PersonaClient.builder()
                .endpoints("http://127.0.0.1:" + a.port()).apiKey("prs_not-a-key").build().get("customers", "c1"));
        assertEquals(401, refused.status(), refused.getMessage());
        final PersonaException unknown = assertThrows(PersonaException.class, () -> client.get("no_such_collection", "c1"));
        assertEquals(400, unknown.status(), "a collection the cluster does not declare: " + unknown.getMessage());
    }

    /**
     * With no standby copies, the keys of an instance that dies are unavailable (503, {@code Retry-After: 1}) until the
     * survivor takes their partitions over and restores them: the client waits that out and every lookup succeeds.
     */
    @Test
    @Order(4)
    void shouldRideOutTheLossOfAnInstanceByRetryingItsAnswers503() {
        final List<String> onB = keysOwnedBy(b);
        assertFalse(onB.isEmpty());
        final double unavailableBefore = unavailable(a);
        b.abandon();
        b = null;
        for (final String key : onB) {
            assertTrue(client.get("customers", key).orElseThrow().json().contains("\"full_name\""), key);
        }
        assertTrue(unavailable(a) > unavailableBefore, "the survivor answered 503s meanwhile, which the client retried");
    }

    private static double unavailable(final PersonaInstance instance) {
        return new TestHttp(instance.port()).get("/metrics", bearer(ADMIN)).body().lines()
                .filter(line -> line.startsWith("persona_http_requests_seconds_count{") && line.contains("status=\"503\""))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }
}
