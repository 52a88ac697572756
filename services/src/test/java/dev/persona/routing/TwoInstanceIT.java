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
import dev.persona.routing.DeclaredStores;
import dev.persona.topology.IndexEntry;
import dev.persona.topology.TopicNames;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.IntStream;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two instances of one application: any instance answers any key, and a forward never loops. */
class TwoInstanceIT {
    private static final String ADMIN = "two-instance-admin";
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final int RECORDS = 40;

    private static TestKafka kafka;
    private static PersonaInstance a;
    private static PersonaInstance b;
    private static Path stateA;
    private static Path stateB;
    private static TestHttp httpA;
    private static TestHttp httpB;

    @BeforeAll
    static void start() throws IOException {
        kafka = TestKafka.start();
        final PersonaConfig config = TestConfigs.customers(kafka.bootstrapServers(), TestKafka.uniqueName("two"));
        try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
            stateA = Files.createTempDirectory("persona-a");
            stateB = Files.createTempDirectory("persona-b");
            a = PersonaInstance.start(config, InstanceOptions.local(stateA, stateA).withAdminKey(ADMIN));
            b = PersonaInstance.start(config, InstanceOptions.local(stateB, stateB).withAdminKey(ADMIN));
            for (int i = 0; i < RECORDS; i++) {
                TestConfigs.produce(producer, config, "customers", "profiles", "c" + i,
                        "{\"id\":\"c" + i + "\",\"name\":\"Customer " + i + "\",\"email\":\"c" + i + "@example.com\"}");
            }
        }
        httpA = new TestHttp(a.port());
        httpB = new TestHttp(b.port());
        Poll.until(TIMEOUT, "both instances running with partitions of their own", () ->
                a.streams().state() == KafkaStreams.State.RUNNING && b.streams().state() == KafkaStreams.State.RUNNING
                        && ownsPartitions(a.streams().metadataForAllStreamsClients(), a.port())
                        && ownsPartitions(a.streams().metadataForAllStreamsClients(), b.port())
                        && ownsPartitions(b.streams().metadataForAllStreamsClients(), a.port()));
        Poll.until(TIMEOUT, "every record readable through A", () -> IntStream.range(0, RECORDS)
                .allMatch(i -> httpA.get("/v1/collections/customers/records/id/c" + i, bearer(ADMIN)).statusCode() == 200));
    }

    @AfterAll
    static void stop() {
        b.close();
        a.close();
        kafka.close();
        TempDirs.delete(stateA);
        TempDirs.delete(stateB);
    }

    private static boolean ownsPartitions(final Collection<StreamsMetadata> clients, final int port) {
        return clients.stream().anyMatch(m -> m.hostInfo().port() == port && !m.topicPartitions().isEmpty());
    }

    private static List<String> keysOwnedBy(final PersonaInstance owner) {
        final List<String> keys = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
            final KeyQueryMetadata metadata = a.streams().queryMetadataForKey(TopicNames.recordStore("customers"), "c" + i, new StringSerializer());
            if (metadata.activeHost().port() == owner.port()) {
                keys.add("c" + i);
            }
        }
        return keys;
    }

    private static JsonNode json(final String body) {
        try {
            return Json.mapper().readTree(body);
        } catch (final IOException e) {
            throw new AssertionError(body, e);
        }
    }

    /** Lookups read live stores by the partition Persona computes; it must be the one Streams puts the key in. */
    @Test
    void shouldPlaceEveryKeyInThePartitionStreamsUses() {
        final DeclaredStores stores = new DeclaredStores(a.config());
        final String records = TopicNames.recordStore("customers");
        final String index = TopicNames.indexStore("customers");
        for (int i = 0; i < 2_000; i++) {
            final String key = "key-" + i + "-\u00e9";
            assertEquals(a.streams().queryMetadataForKey(records, key, new StringSerializer()).partition(), stores.partition(records, key), key);
            final String entry = IndexEntry.key("email", "c" + i + "@example.com");
            assertEquals(a.streams().queryMetadataForKey(index, entry, new StringSerializer()).partition(), stores.partition(index, entry), entry);
        }
    }

    /** A 404 of a key the other instance owns costs one forward: the owner's "absent" is not asked for twice. */
    @Test
    void shouldAskTheOwnerOnceForARecordItDoesNotHave() {
        String missing = null;
        for (int i = 0; missing == null; i++) {
            final String candidate = "nobody-" + i;
            if (a.streams().queryMetadataForKey(TopicNames.recordStore("customers"), candidate, new StringSerializer()).activeHost().port() == b.port()) {
                missing = candidate;
            }
        }
        final double before = forwarded(a);
        final HttpResponse<String> response = httpA.get("/v1/collections/customers/records/id/" + missing, bearer(ADMIN));
        assertEquals(404, response.statusCode(), response.body());
        assertEquals("record_not_found", json(response.body()).path("error").asText());
        assertEquals(before + 1, forwarded(a), "one forward for one lookup");
    }

    private static double forwarded(final PersonaInstance instance) {
        return new TestHttp(instance.port()).get("/metrics", bearer(ADMIN)).body().lines()
                .filter(line -> line.startsWith("persona_lookups_forwarded_total"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void shouldServeKeysOwnedByTheOtherInstanceSingleAndBatch() {
        final List<String> onB = keysOwnedBy(b);
        final List<String> onA = keysOwnedBy(a);
        assertFalse(onB.isEmpty(), "B owns some keys");
        assertFalse(onA.isEmpty(), "A owns some keys");
        for (final String key : onB) {
            final HttpResponse<String> response = httpA.get("/v1/collections/customers/records/id/" + key + "?meta=true", bearer(ADMIN));
            assertEquals(200, response.statusCode(), response.body());
            assertEquals("Customer " + key.substring(1), json(response.body()).path("full_name").asText());
            assertEquals("profiles", json(response.body()).path("_meta").path("fields").path("full_name").path("sync").asText());
        }
        final String activation = httpA.post("/v1/activation", "{\"entity\":\"customers\",\"destinationId\":\"demo\",\"id\":{\"type\":\"user_id\",\"value\":\""
                + onB.get(0) + "\"}}", bearer(ADMIN)).body();
        assertEquals("Customer " + onB.get(0).substring(1), json(activation).path("data").path("full_name").asText());

        final List<String> mixed = new ArrayList<>(onA);
        mixed.addAll(onB);
        mixed.add("absent-key");
        final StringBuilder ids = new StringBuilder();
        mixed.forEach(k -> ids.append(ids.length() == 0 ? "" : ",").append('"').append(k).append('"'));
        final JsonNode batch = json(httpA.post("/v1/collections/customers/records/batch", "{\"ids\":[" + ids + "]}", bearer(ADMIN)).body());
        assertEquals(RECORDS, batch.path("records").size(), batch.toString());
        assertEquals("[\"absent-key\"]", batch.path("missing").toString());
        assertFalse(batch.has("unavailable"));
        assertEquals(404, httpA.get("/v1/collections/customers/records/id/absent-key", bearer(ADMIN)).statusCode());
    }

    @Test
    void shouldFindRecordsByIndexThroughEitherInstance() {
        for (final TestHttp http : List.of(httpA, httpB)) {
            Poll.until(TIMEOUT, "every customer by email", () -> IntStream.range(0, RECORDS).allMatch(i ->
                    http.get("/v1/collections/customers/records/email/c" + i + "@example.com", bearer(ADMIN)).body().contains("Customer " + i + "\"")));
        }
        final StringBuilder emails = new StringBuilder();
        IntStream.range(0, RECORDS).forEach(i -> emails.append(i == 0 ? "" : ",").append("\"c").append(i).append("@example.com\""));
        final JsonNode batch = json(httpB.post("/v1/collections/customers/records/batch", "{\"index\":\"email\",\"ids\":[" + emails + "]}", bearer(ADMIN)).body());
        assertEquals(RECORDS, batch.path("records").size(), batch.toString());
        final String onB = keysOwnedBy(b).get(0);
        final JsonNode activation = json(httpA.post("/v1/activation", "{\"entity\":\"customers\",\"destinationId\":\"demo\",\"id\":{\"type\":\"email\",\"value\":\""
                + onB + "@example.com\"}}", bearer(ADMIN)).body());
        assertEquals(onB, activation.path("data").path("user_id").asText());
    }

    @Test
    void shouldShowEveryInstanceWithItsPartitionsInTheClusterView() {
        // Kafka Streams may rebalance again after the first assignment (a warm-up's follow-up probe): wait for both to run.
        final JsonNode cluster = Poll.until(TIMEOUT, "both instances reporting, both running", () -> {
            final JsonNode view = json(httpB.get("/admin/cluster", bearer(ADMIN)).body());
            final boolean running = view.path("instances").size() == 2
                    && java.util.stream.StreamSupport.stream(view.path("instances").spliterator(), false).allMatch(i -> "RUNNING".equals(i.path("state").asText()));
            return running && !view.toString().contains("\"error\"") ? java.util.Optional.of(view) : java.util.Optional.empty();
        });
        final java.util.Set<Integer> active = new java.util.TreeSet<>();
        final java.util.Set<Integer> standby = new java.util.TreeSet<>();
        for (final JsonNode instance : cluster.path("instances")) {
            assertEquals("RUNNING", instance.path("state").asText(), instance.toString());
            instance.path("stores").path("records-customers").path("active").forEach(p -> active.add(p.asInt()));
            instance.path("stores").path("records-customers").path("standby").forEach(p -> standby.add(p.asInt()));
        }
        assertEquals(java.util.Set.of(0, 1, 2, 3), active, "every partition is active somewhere: " + cluster);
        assertEquals(java.util.Set.of(0, 1, 2, 3), standby, "and has a standby copy: " + cluster);
        assertEquals(java.util.List.of("127.0.0.1:" + a.port(), "127.0.0.1:" + b.port()).stream().sorted().toList(),
                java.util.List.of(cluster.path("instances").path(0).path("host").asText(), cluster.path("instances").path(1).path("host").asText()));
        final JsonNode created = json(httpA.post("/admin/keys", "{\"name\":\"reader\",\"collections\":[\"*\"]}", bearer(ADMIN)).body());
        assertEquals(403, httpA.get("/admin/cluster", bearer(created.path("key").asText())).statusCode());
    }

    /**
     * A forward is never forwarded again, so that two instances that disagree on an owner cannot bounce a lookup
     * between them: the internal route answers from its own copies or says unavailable. Only signed internal calls
     * are forwards; a client's {@code X-Persona-Forwarded-By} is ignored (SecureClusterIT).
     */
    @Test
    void shouldNotForwardARequestThatAnotherInstanceAlreadyForwarded() {
        final String onB = keysOwnedBy(b).get(0);
        final String path = PeerClient.RAW_BATCH_PATH.formatted("records-customers");
        final byte[] body = PeerWire.ask(java.util.List.of(onB), Hop.FORWARDED);
        final PeerAuth peer = new PeerAuth(() -> a.keys().clusterSecret(), java.time.Clock.systemUTC());
        final String digest = PeerAuth.digest(body);
        final HttpResponse<byte[]> response = httpA.postBytes(path, body,
                PeerAuth.SIGNATURE_HEADER, peer.sign("POST", path, Caller.INSTANCE, digest), PeerAuth.BODY_HEADER, digest,
                PeerAuth.CALLER_HEADER, Caller.INSTANCE.keyId(), PeerAuth.SCOPE_HEADER, PeerAuth.scope(Caller.INSTANCE));
        assertEquals(200, response.statusCode(), new String(response.body(), java.nio.charset.StandardCharsets.UTF_8));
        assertInstanceOf(StoredValue.Unavailable.class, PeerWire.readAnswer(response.body(), java.util.List.of(onB), "A").get(onB),
                "A answers for B's key from its own copies or not at all");
    }

    /** A client that computes the partition and sends each lookup to the owner the map names needs no forward. */
    @Test
    void shouldPublishAPartitionMapThatSendsEveryKeyToItsOwner() {
        final JsonNode map = json(httpB.get("/v1/collections/customers/partitions", bearer(ADMIN)).body());
        assertEquals(4, map.path("partitions").asInt(), map.toString());
        assertTrue(map.path("partitioner").asText().startsWith("murmur2"), map.toString());
        for (int i = 0; i < RECORDS; i++) {
            final String key = "c" + i;
            final int partition = dev.persona.topology.KeyPartitions.of(key, 4);
            final String owner = map.path("owners").path(partition).path("active").asText();
            final KeyQueryMetadata metadata = a.streams().queryMetadataForKey(TopicNames.recordStore("customers"), key, new StringSerializer());
            assertEquals(metadata.activeHost().host() + ":" + metadata.activeHost().port(), owner, "the map's owner of " + key);
            assertTrue(map.path("owners").path(partition).path("standbys").toString().contains(":"), "and its standby: " + map);
        }
        assertEquals(401, httpB.get("/v1/collections/customers/partitions").statusCode(), "a key is needed, as for a lookup");
    }

    @Test
    void shouldRejectAKeyRevokedOnOneInstanceOnTheOtherWithinASecond() {
        final JsonNode created = json(httpA.post("/admin/keys", "{\"name\":\"short-lived\",\"collections\":[\"*\"]}", bearer(ADMIN)).body());
        final String secret = created.path("key").asText();
        final String key = keysOwnedBy(b).get(0);
        Poll.until(Duration.ofSeconds(5), "the new key accepted by B",
                () -> httpB.get("/v1/collections/customers/records/id/" + key, bearer(secret)).statusCode() == 200);
        // Used on A too, so both instances hold it among their verified secrets.
        assertEquals(200, httpA.get("/v1/collections/customers/records/id/" + key, bearer(secret)).statusCode());
        assertEquals(204, httpA.delete("/admin/keys/" + created.path("id").asText(), bearer(ADMIN)).statusCode());
        final long revoked = System.nanoTime();
        Poll.until(Duration.ofSeconds(1), "B refusing the revoked key",
                () -> httpB.get("/v1/collections/customers/records/id/" + key, bearer(secret)).statusCode() == 401);
        assertTrue(System.nanoTime() - revoked < Duration.ofSeconds(1).toNanos());
        assertEquals(401, httpA.get("/v1/collections/customers/records/id/" + key, bearer(secret)).statusCode(),
                "the instance that revoked the key forgets it at once");
    }
}
