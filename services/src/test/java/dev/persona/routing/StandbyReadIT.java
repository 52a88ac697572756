package dev.persona.routing;

import com.fasterxml.jackson.databind.JsonNode;
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
import org.apache.kafka.streams.LagInfo;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An instance that stops without a word (no leave-group, API gone): the other one answers its keys from standby
 * copies, marked stale, until the group moves the partitions; never a 404, never a 5xx other than 503.
 */
class StandbyReadIT {
    private static final String ADMIN = "standby-admin";
    private static final int RECORDS = 40;

    @Test
    void shouldAnswerADeadInstancesKeysFromStandbysUntilThePartitionsMove() throws Exception {
        final Path stateA = Files.createTempDirectory("persona-sa");
        final Path stateB = Files.createTempDirectory("persona-sb");
        try (TestKafka kafka = TestKafka.start()) {
            final PersonaConfig config = TestConfigs.customers(kafka.bootstrapServers(), TestKafka.uniqueName("standby"));
            try (PersonaInstance a = PersonaInstance.start(config, InstanceOptions.local(stateA, stateA).withAdminKey(ADMIN))) {
                final PersonaInstance b = PersonaInstance.start(config, InstanceOptions.local(stateB, stateB).withAdminKey(ADMIN));
                try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
                    for (int i = 0; i < RECORDS; i++) {
                        TestConfigs.produce(producer, config, "customers", "profiles", "s" + i, "{\"id\":\"s" + i + "\",\"name\":\"S" + i + "\"}");
                    }
                }
                final TestHttp http = new TestHttp(a.port());
                final String store = TopicNames.recordStore("customers");
                Poll.until(Duration.ofSeconds(90), "actives and caught-up standbys on both instances", () -> ready(a, b, store, http));
                final List<String> onB = new ArrayList<>();
                for (int i = 0; i < RECORDS; i++) {
                    if (a.streams().queryMetadataForKey(store, "s" + i, new StringSerializer()).activeHost().port() == b.port()) {
                        onB.add("s" + i);
                    }
                }
                assertFalse(onB.isEmpty());

                b.abandon();
                final Map<Integer, Integer> statuses = new TreeMap<>();
                int stale = 0;
                final long start = System.nanoTime();
                long firstFailure = -1;
                long lastFailure = -1;
                boolean movedBack = false;
                while (System.nanoTime() - start < Duration.ofSeconds(30).toNanos() && !movedBack) {
                    movedBack = true;
                    for (final String key : onB) {
                        final HttpResponse<String> r = http.get("/v1/collections/customers/records/id/" + key + "?meta=true", bearer(ADMIN));
                        statuses.merge(r.statusCode(), 1, Integer::sum);
                        if (r.statusCode() == 200) {
                            final JsonNode body = Json.mapper().readTree(r.body());
                            assertEquals("S" + key.substring(1), body.path("name").isMissingNode() ? body.path("full_name").asText() : body.path("name").asText());
                            if (r.headers().firstValue("X-Persona-Stale").isPresent()) {
                                stale++;
                                movedBack = false;
                                assertTrue(body.path("_meta").path("stale").asBoolean(), r.body());
                                assertEquals(r.headers().firstValue("X-Persona-Lag").orElseThrow(), body.path("_meta").path("lag").asText());
                            }
                        } else {
                            movedBack = false;
                            final long now = System.nanoTime();
                            firstFailure = firstFailure < 0 ? now : firstFailure;
                            lastFailure = now;
                        }
                    }
                }
                final double window = firstFailure < 0 ? 0 : (lastFailure - firstFailure) / 1e6;
                System.out.printf("After the owner died: statuses %s, %d stale answers, unavailability window %.0f ms%n", statuses, stale, window);
                assertFalse(statuses.containsKey(404), "never a 404 for a record that exists: " + statuses);
                assertTrue(statuses.keySet().stream().allMatch(s -> s == 200 || s == 503), "no error but 503: " + statuses);
                assertTrue(stale > 0, "the standby answered while the owner was gone: " + statuses);
                assertTrue(movedBack, "the partitions moved to the living instance within 30s");
            } finally {
                TempDirs.delete(stateA);
                TempDirs.delete(stateB);
            }
        }
    }

    private static boolean ready(final PersonaInstance a, final PersonaInstance b, final String store, final TestHttp http) {
        return a.streams().state() == KafkaStreams.State.RUNNING && b.streams().state() == KafkaStreams.State.RUNNING
                && a.streams().metadataForAllStreamsClients().stream().allMatch(m -> !m.topicPartitions().isEmpty() && !m.standbyTopicPartitions().isEmpty())
                && caughtUp(a, store) && caughtUp(b, store)
                && java.util.stream.IntStream.range(0, RECORDS).allMatch(i ->
                http.get("/v1/collections/customers/records/id/s" + i, bearer(ADMIN)).statusCode() == 200);
    }

    /** Every local copy holds every record; under exactly-once the transaction marker keeps the lag at 1. */
    private static boolean caughtUp(final PersonaInstance instance, final String store) {
        final Map<Integer, LagInfo> lags = instance.streams().allLocalStorePartitionLags().get(store);
        return lags != null && lags.size() == 4 && lags.values().stream().allMatch(l -> l.offsetLag() <= 1);
    }
}
