package dev.persona.api;

import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestConfigs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReadinessIT {
    @Test
    void shouldTurnReadinessOffWhileStillAnsweringDuringTheDrainOfACleanStop() throws Exception {
        final Path state = Files.createTempDirectory("persona-drain");
        try (TestKafka kafka = TestKafka.start()) {
            final PersonaConfig config = TestConfigs.customers(kafka.bootstrapServers(), TestKafka.uniqueName("drain"));
            final PersonaInstance instance = PersonaInstance.start(config,
                    InstanceOptions.local(state, state).withAdminKey("drain-admin").withDrain(Duration.ofSeconds(3)));
            final TestHttp http = new TestHttp(instance.port());
            try (org.apache.kafka.clients.producer.KafkaProducer<String, byte[]> producer = kafka.producer()) {
                TestConfigs.produce(producer, config, "customers", "profiles", "d1", "{\"id\":\"d1\",\"name\":\"Dee\"}");
            }
            Poll.until(Duration.ofSeconds(60), "ready with the record", () -> http.get("/readyz").statusCode() == 200
                    && http.get("/v1/collections/customers/records/id/d1", TestHttp.bearer("drain-admin")).statusCode() == 200);
            final Thread stopping = new Thread(instance::close);
            stopping.start();
            Poll.until(Duration.ofSeconds(2), "readiness off", () -> http.get("/readyz").body().contains("\"status\":\"draining\""));
            assertEquals(503, http.get("/readyz").statusCode());
            assertEquals(200, http.get("/v1/collections/customers/records/id/d1", TestHttp.bearer("drain-admin")).statusCode(),
                    "requests are still answered while draining");
            stopping.join(60_000);
        } finally {
            TempDirs.delete(state);
        }
    }

    @Test
    void shouldBeReadyOnlyWhileStreamsRunsAndAnswer503NotA404WhenItStops() throws Exception {
        final Path state = Files.createTempDirectory("persona-ready");
        try (TestKafka kafka = TestKafka.start()) {
            final PersonaConfig config = TestConfigs.customers(kafka.bootstrapServers(), TestKafka.uniqueName("ready"));
            try (PersonaInstance instance = PersonaInstance.start(config, InstanceOptions.local(state, state).withAdminKey("ready-admin"))) {
                final TestHttp http = new TestHttp(instance.port());
                Poll.until(Duration.ofSeconds(60), "ready", () -> http.get("/readyz").statusCode() == 200);
                instance.streams().close(Duration.ofSeconds(30));
                final HttpResponse<String> notReady = http.get("/readyz");
                assertEquals(503, notReady.statusCode());
                assertEquals("1", notReady.headers().firstValue("Retry-After").orElseThrow());
                assertTrue(notReady.body().contains("\"status\":\"not_ready\""), notReady.body());
                assertTrue(notReady.body().contains("NOT_RUNNING"), notReady.body());
                assertEquals(200, http.get("/healthz").statusCode());
                final HttpResponse<String> lookup = http.get("/v1/collections/customers/records/id/1", TestHttp.bearer("ready-admin"));
                assertEquals(503, lookup.statusCode(), "never a 404 while the owner cannot be asked: " + lookup.body());
                assertEquals("1", lookup.headers().firstValue("Retry-After").orElseThrow());
            }
        } finally {
            TempDirs.delete(state);
        }
    }

    @Test
    void shouldBeNotReadyAndDegradedWhileABackgroundLoopFails() throws Exception {
        final Path state = Files.createTempDirectory("persona-ready-loops");
        try (TestKafka kafka = TestKafka.start()) {
            final PersonaConfig config = TestConfigs.customers(kafka.bootstrapServers(), TestKafka.uniqueName("loops"));
            try (PersonaInstance instance = PersonaInstance.start(config, InstanceOptions.local(state, state).withAdminKey("loops-admin"))) {
                final TestHttp http = new TestHttp(instance.port());
                Poll.until(Duration.ofSeconds(60), "ready", () -> http.get("/readyz").statusCode() == 200);
                final java.util.concurrent.atomic.AtomicReference<String> failure = new java.util.concurrent.atomic.AtomicReference<>("simulated: keys stopped");
                instance.status().watch("api-keys", () -> java.util.Optional.ofNullable(failure.get()));
                final HttpResponse<String> notReady = http.get("/readyz", TestHttp.bearer("loops-admin"));
                assertEquals(503, notReady.statusCode());
                assertTrue(notReady.body().contains("\"problems\":{\"api-keys\":\"simulated: keys stopped\"}"), notReady.body());
                final HttpResponse<String> toAnyone = http.get("/readyz");
                assertEquals(503, toAnyone.statusCode());
                assertFalse(toAnyone.body().contains("problems"), "what fails is an admin's to know: " + toAnyone.body());
                final HttpResponse<String> health = http.get("/healthz");
                assertEquals(200, health.statusCode());
                assertTrue(health.body().contains("\"status\":\"degraded\""), health.body());
                failure.set(null);
                assertEquals(200, http.get("/readyz").statusCode(), "ready again once the loop recovers");
            }
        } finally {
            TempDirs.delete(state);
        }
    }
}
