package dev.persona.routing;

import dev.persona.config.PersonaConfig;
import dev.persona.config.ReadFrom;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestConfigs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code kafka.readFrom: nearest} on two instances with one standby each, so that each holds every partition: a key
 * the instance does not own is answered from its standby copy, marked stale with its lag, and never forwarded; a
 * change reaches that copy; and by default ({@code owner}) the same lookup is forwarded.
 */
class NearestReadsIT {
    private static final String ADMIN = "nearest-admin-0123456789";
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final int RECORDS = 40;

    private static TestKafka kafka;
    private static PersonaConfig config;
    private static PersonaInstance a;
    private static PersonaInstance b;
    private static Path state;
    private static TestHttp httpA;

    @BeforeAll
    static void start() throws IOException {
        kafka = TestKafka.start();
        final PersonaConfig base = TestConfigs.customers(kafka.bootstrapServers(), TestKafka.uniqueName("nearest"));
        config = base.withKafka(base.kafka().withReadFrom(ReadFrom.NEAREST));
        state = Files.createTempDirectory("persona-nearest");
        a = PersonaInstance.start(config, InstanceOptions.local(state.resolve("a"), state.resolve("a")).withAdminKey(ADMIN));
        b = PersonaInstance.start(config, InstanceOptions.local(state.resolve("b"), state.resolve("b")).withAdminKey(ADMIN));
        try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
            for (int i = 0; i < RECORDS; i++) {
                TestConfigs.produce(producer, config, "customers", "profiles", "n" + i, "{\"id\":\"n" + i + "\",\"name\":\"Near " + i + "\"}");
            }
        }
        httpA = new TestHttp(a.port());
        Poll.until(TIMEOUT, "both running, each with active partitions and a standby of the others'", () ->
                a.streams().state() == KafkaStreams.State.RUNNING && b.streams().state() == KafkaStreams.State.RUNNING
                        && !ownedBy(b).isEmpty() && !ownedBy(a).isEmpty()
                        && a.streams().allLocalStorePartitionLags().getOrDefault("records-customers", java.util.Map.of()).size() == 4);
    }

    @AfterAll
    static void stop() {
        b.close();
        a.close();
        kafka.close();
        TempDirs.delete(state);
    }

    private static List<String> ownedBy(final PersonaInstance owner) {
        return IntStream.range(0, RECORDS).mapToObj(i -> "n" + i).filter(key -> a.streams()
                .queryMetadataForKey("records-customers", key, new StringSerializer()).activeHost().port() == owner.port()).toList();
    }

    private static double forwarded() {
        return httpA.get("/metrics", bearer(ADMIN)).body().lines().filter(l -> l.startsWith("persona_lookups_forwarded_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void shouldAnswerAKeyOwnedElsewhereFromTheLocalStandbyWithoutAHop() {
        final List<String> onB = ownedBy(b);
        // Caught up and known to be: until A has learnt its copies' lags (refreshed off the request path), it forwards.
        Poll.until(TIMEOUT, "A's standby copies caught up", () -> onB.stream().allMatch(key -> {
            final HttpResponse<String> answer = httpA.get("/v1/collections/customers/records/id/" + key, bearer(ADMIN));
            return answer.statusCode() == 200 && answer.headers().firstValue("X-Persona-Stale").isPresent();
        }));
        final double before = forwarded();
        for (final String key : onB) {
            final HttpResponse<String> answer = httpA.get("/v1/collections/customers/records/id/" + key, bearer(ADMIN));
            assertEquals(200, answer.statusCode(), answer.body());
            assertEquals("true", answer.headers().firstValue("X-Persona-Stale").orElse(""), "a standby's answer says so");
            assertTrue(Long.parseLong(answer.headers().firstValue("X-Persona-Lag").orElse("-1")) <= config.kafka().maxStaleLag());
        }
        final HttpResponse<String> batch = httpA.post("/v1/collections/customers/records/batch",
                "{\"ids\":" + dev.persona.topology.Json.mapper().valueToTree(onB) + "}", bearer(ADMIN));
        assertEquals(onB.size(), readRecords(batch.body()), batch.body());
        assertEquals(before, forwarded(), "no lookup was forwarded");
    }

    private static int readRecords(final String body) {
        try {
            return dev.persona.topology.Json.mapper().readTree(body).path("records").size();
        } catch (final IOException e) {
            throw new AssertionError(body, e);
        }
    }

    @Test
    void shouldShowAChangeThroughTheStandbyCopyOnceItArrives() {
        final String key = ownedBy(b).get(0);
        try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
            TestConfigs.produce(producer, config, "customers", "profiles", key, "{\"id\":\"" + key + "\",\"name\":\"Renamed\"}");
        }
        Poll.until(TIMEOUT, "the change visible on A, from its standby", () -> {
            final HttpResponse<String> answer = httpA.get("/v1/collections/customers/records/id/" + key, bearer(ADMIN));
            return answer.statusCode() == 200 && answer.body().contains("Renamed");
        });
        assertFalse(ownedBy(a).contains(key), "the key is still B's");
    }
}
