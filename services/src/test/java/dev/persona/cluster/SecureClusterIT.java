package dev.persona.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.config.TlsSettings;
import dev.persona.routing.PeerAuth;
import dev.persona.routing.PeerClient;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestConfigs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import dev.persona.tls.DemoCertificates;
import dev.persona.tls.PeerTls;
import dev.persona.topology.Json;
import dev.persona.topology.TopicNames;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three instances over HTTPS: lookups forwarded between them over TLS and signed with the cluster secret, never
 * carrying the client's token; rate limits counted once, where the client called; field allow-lists applied
 * whichever instance holds the record; and management endpoints on a port of their own.
 */
class SecureClusterIT {
    private static final String ADMIN = "secure-cluster-admin";
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final int RECORDS = 30;

    private static TestKafka kafka;
    private static Path dir;
    private static TlsSettings tls;
    private static SSLContext trust;
    private static final List<PersonaInstance> instances = new ArrayList<>();
    private static final List<TestHttp> clients = new ArrayList<>();
    private static int managementPort;

    @BeforeAll
    static void start() throws IOException {
        kafka = TestKafka.start();
        dir = Files.createTempDirectory("persona-secure");
        tls = DemoCertificates.create(dir.resolve("tls"));
        trust = PeerTls.clientContext(tls);
        final String app = TestKafka.uniqueName("secure");
        final String yaml = TestConfigs.customersYaml(kafka.bootstrapServers(), app) + """
                http:
                  tls: { certificate: "%s", privateKey: "%s", trust: "%s" }
                """.formatted(tls.certificate(), tls.privateKey(), tls.trustedCertificates());
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).parse(dir.resolve("persona.yaml"), yaml);
        managementPort = freePort();
        for (int i = 0; i < 3; i++) {
            final Path state = Files.createTempDirectory(dir, "state");
            // The first instance serves /metrics, health and /admin on a port of its own.
            final PersonaConfig own = i == 0 ? config.withHttp(config.http().withManagementPort(managementPort).withMetricsRequireKey(true)) : config;
            instances.add(PersonaInstance.start(own, InstanceOptions.local(state, state).withAdminKey(ADMIN)));
            clients.add(TestHttp.https(instances.get(i).port(), trust));
        }
        try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
            for (int i = 0; i < RECORDS; i++) {
                TestConfigs.produce(producer, config, "customers", "profiles", "c" + i,
                        "{\"id\":\"c" + i + "\",\"name\":\"Customer " + i + "\",\"email\":\"c" + i + "@example.com\",\"ltv\":" + i + "}");
            }
        }
        Poll.until(TIMEOUT, "three running instances, each with partitions", () -> instances.stream().allMatch(p -> p.streams().state() == KafkaStreams.State.RUNNING)
                && instances.stream().allMatch(p -> !keysOwnedBy(p).isEmpty()));
        Poll.until(TIMEOUT, "every record readable through the second instance", () -> IntStream.range(0, RECORDS)
                .allMatch(i -> clients.get(1).get("/v1/collections/customers/records/email/c" + i + "@example.com", bearer(ADMIN)).statusCode() == 200));
    }

    @AfterAll
    static void stop() {
        for (int i = instances.size() - 1; i >= 0; i--) {
            instances.get(i).close();
        }
        kafka.close();
        TempDirs.delete(dir);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static List<String> keysOwnedBy(final PersonaInstance owner) {
        final List<String> keys = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
            final var metadata = instances.get(0).streams().queryMetadataForKey(TopicNames.recordStore("customers"), "c" + i, new StringSerializer());
            if (metadata.activeHost() != null && metadata.activeHost().port() == owner.port()) {
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

    private static JsonNode createKey(final String body) {
        final HttpResponse<String> created = clients.get(1).post("/admin/keys", body, bearer(ADMIN));
        assertEquals(201, created.statusCode(), created.body());
        return json(created.body());
    }

    @Test
    void shouldServeOnlyHttpsAndForwardLookupsToTheOwnerOverTls() {
        final String onThird = keysOwnedBy(instances.get(2)).get(0);
        final HttpResponse<String> forwarded = clients.get(1).get("/v1/collections/customers/records/id/" + onThird, bearer(ADMIN));
        assertEquals(200, forwarded.statusCode(), forwarded.body());
        assertTrue(forwarded.body().contains("Customer " + onThird.substring(1)), forwarded.body());
        final JsonNode batch = json(clients.get(1).post("/v1/collections/customers/records/batch",
                "{\"ids\":" + Json.mapper().valueToTree(IntStream.range(0, RECORDS).mapToObj(i -> "c" + i).toList()) + "}", bearer(ADMIN)).body());
        assertEquals(RECORDS, batch.path("records").size(), batch.toString());
        assertThrows(java.io.UncheckedIOException.class, () -> new TestHttp(instances.get(1).port()).get("/healthz"),
                "plain HTTP gets no answer from an HTTPS port");
        final JsonNode cluster = json(clients.get(1).get("/admin/cluster", bearer(ADMIN)).body());
        assertEquals(3, cluster.path("instances").size(), cluster.toString());
        cluster.path("instances").forEach(i -> assertFalse(i.has("error"), "every peer answered its signed status call: " + cluster));
    }

    /** The internal route takes no client credentials at all: a forward that carried the bearer token would fail. */
    @Test
    void shouldRefuseInternalCallsNotSignedWithTheClusterSecretOrSeenBefore() {
        final String path = PeerClient.RAW_BATCH_PATH.formatted(TopicNames.recordStore("customers"));
        final byte[] body = dev.persona.routing.PeerWire.ask(List.of("c1"), dev.persona.routing.Hop.FORWARDED);
        final String digest = PeerAuth.digest(body);
        assertEquals(401, clients.get(2).postBytes(path, body, bearer(ADMIN)).statusCode(), "an admin bearer token is not a peer");
        final PeerAuth forger = new PeerAuth(() -> "not the cluster's secret".getBytes(), java.time.Clock.systemUTC());
        final dev.persona.routing.Caller caller = new dev.persona.routing.Caller("x", List.of("*"));
        assertEquals(401, signedPost(path, body, forger.sign("POST", path, caller, digest), digest, "*").statusCode(),
                "a signature under another secret is refused");
        final PeerAuth stale = new PeerAuth(() -> instances.get(0).keys().clusterSecret(),
                java.time.Clock.offset(java.time.Clock.systemUTC(), Duration.ofMinutes(-5)));
        assertEquals(401, signedPost(path, body, stale.sign("POST", path, caller, digest), digest, "*").statusCode(), "an old signature is refused");
        final PeerAuth peer = new PeerAuth(() -> instances.get(0).keys().clusterSecret(), java.time.Clock.systemUTC());
        final String signed = peer.sign("POST", path, caller, digest);
        final HttpResponse<byte[]> taken = signedPost(path, body, signed, digest, "*");
        assertEquals(200, taken.statusCode(), "the cluster's own signature is taken");
        assertTrue(peer.verifyAnswer(signed, taken.body(), taken.headers().firstValue(PeerAuth.ANSWER_HEADER).orElse(null)),
                "the answer is signed for this call");
        assertFalse(peer.verifyAnswer(peer.sign("POST", path, caller, digest), taken.body(),
                taken.headers().firstValue(PeerAuth.ANSWER_HEADER).orElse(null)), "and for no other");
        assertEquals(401, signedPost(path, body, signed, digest, "*").statusCode(), "a signature is taken once: a replay is refused");
        final String other = peer.sign("POST", path, caller, digest);
        assertEquals(401, signedPost(path, dev.persona.routing.PeerWire.ask(List.of("c2"), dev.persona.routing.Hop.FORWARDED), other, digest, "*").statusCode(), "a signature is good for its own body only");
        assertEquals(401, signedPost(path, body, peer.sign("POST", path, caller, digest), digest, "customers,products").statusCode(),
                "nor for another scope");
    }

    private HttpResponse<byte[]> signedPost(final String path, final byte[] body, final String signature, final String digest, final String scope) {
        return clients.get(2).postBytes(path, body, PeerAuth.SIGNATURE_HEADER, signature, PeerAuth.BODY_HEADER, digest, PeerAuth.CALLER_HEADER, "x",
                PeerAuth.SCOPE_HEADER, scope);
    }

    /** Only signed internal calls are taken as forwarded: a client that says it was forwarded learns no host. */
    @Test
    void shouldTreatAClientsForwardingHeaderAsAFirstRequest() {
        final String elsewhere = keysOwnedBy(instances.get(2)).get(0);
        final HttpResponse<String> answer = clients.get(0).get("/v1/collections/customers/records/id/" + elsewhere,
                "Authorization", "Bearer " + ADMIN, PeerClient.HOP_HEADER, "10.0.0.1:8080");
        assertEquals(200, answer.statusCode(), "forwarded to its owner as any client's request: " + answer.body());
    }

    @Test
    void shouldCountARateLimitOnceWhereTheClientCalledAndFilterFieldsWhereverTheRecordLives() {
        final JsonNode key = createKey("{\"name\":\"partner\",\"collections\":[\"customers\"],\"rate\":\"4/m\",\"fields\":[\"full_name\"]}");
        final String secret = key.path("key").asText();
        final List<String> elsewhere = new ArrayList<>(keysOwnedBy(instances.get(2)));
        elsewhere.addAll(keysOwnedBy(instances.get(0)));
        Poll.until(TIMEOUT, "the new key known to the first instance", () ->
                clients.get(0).get("/v1/collections/customers/records/id/" + elsewhere.get(0), bearer(secret)).statusCode() == 200);
        // That took one token of the first instance's bucket; three remain there, and the second's is full.
        for (int i = 1; i < 4; i++) {
            final HttpResponse<String> answer = clients.get(0).get("/v1/collections/customers/records/id/" + elsewhere.get(i), bearer(secret));
            assertEquals(200, answer.statusCode(), answer.body());
            assertEquals(Set.of("full_name"), names(json(answer.body())), "only the allowed field, from whichever instance holds it");
            assertEquals(Integer.toString(3 - i), answer.headers().firstValue("RateLimit-Remaining").orElse(""));
        }
        assertEquals(429, clients.get(0).get("/v1/collections/customers/records/id/" + elsewhere.get(0), bearer(secret)).statusCode());
        // The forwards to the other instances took none of theirs.
        final HttpResponse<String> third = clients.get(2).get("/v1/collections/customers/records/id/" + elsewhere.get(0), bearer(secret));
        assertEquals(200, third.statusCode(), third.body());
        assertEquals("3", third.headers().firstValue("RateLimit-Remaining").orElse(""));
        // A batch costs one token per id: the three left there.
        final JsonNode batch = json(clients.get(2).post("/v1/collections/customers/records/batch",
                "{\"ids\":" + Json.mapper().valueToTree(elsewhere.subList(0, 3)) + "}", bearer(secret)).body());
        batch.path("records").forEach(record -> assertEquals(Set.of("full_name"), names(record), batch.toString()));
        assertEquals(3, batch.path("records").size(), batch.toString());
    }

    @Test
    void shouldServeMetricsHealthAndAdminOnlyOnTheManagementPort() {
        final TestHttp management = TestHttp.https(managementPort, trust);
        final TestHttp api = clients.get(0);
        assertEquals(404, api.get("/metrics").statusCode());
        assertEquals(404, api.get("/healthz").statusCode());
        assertEquals(404, api.get("/admin/keys", bearer(ADMIN)).statusCode());
        assertEquals(401, management.get("/metrics").statusCode(), "http.metricsRequireKey");
        assertTrue(management.get("/metrics", bearer(ADMIN)).body().contains("jvm_memory_used_bytes"));
        assertEquals(200, management.get("/healthz").statusCode());
        assertEquals(200, management.get("/admin/keys", bearer(ADMIN)).statusCode());
        final String key = keysOwnedBy(instances.get(0)).get(0);
        assertEquals(404, management.get("/v1/collections/customers/records/id/" + key, bearer(ADMIN)).statusCode(), "no lookups there");
        assertEquals(200, api.get("/v1/collections/customers/records/id/" + key, bearer(ADMIN)).statusCode());
    }

    private static Set<String> names(final JsonNode object) {
        final Set<String> names = new HashSet<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
