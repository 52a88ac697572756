package dev.persona.api;

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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every endpoint and error of the lookup API, against one real instance on a real broker. */
class LookupApiIT {
    private static final String ADMIN = "test-admin-secret";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String JANE = "{\"user_id\":12345,\"full_name\":\"Jane Doe\",\"email\":\"jane@example.com\",\"lifetime_value\":1492.18,"
            + "\"90_day_summary\":{\"num_songs_listened\":813,\"top_genres\":[\"house\",\"techno\",\"ambient\"]},"
            + "\"num_messages_sent\":42,\"last_login_at\":\"2026-11-20T10:00:00Z\"}";

    private static TestKafka kafka;
    private static PersonaInstance instance;
    private static Path stateDir;
    private static TestHttp http;
    private static PersonaConfig config;

    @BeforeAll
    static void start() throws IOException {
        kafka = TestKafka.start();
        config = TestConfigs.customers(kafka.bootstrapServers(), TestKafka.uniqueName("api"));
        stateDir = Files.createTempDirectory("persona-api-state");
        instance = PersonaInstance.start(config, InstanceOptions.local(stateDir, stateDir).withAdminKey(ADMIN));
        http = new TestHttp(instance.port());
        try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
            TestConfigs.produce(producer, config, "customers", "profiles", "12345", """
                    {"id":12345,"name":"Jane Doe","email":"jane@example.com","ltv":1492.184,
                     "summary":{"num_songs_listened":813,"top_genres":["house","techno","ambient"]}}""");
            TestConfigs.produce(producer, config, "customers", "usage", "12345",
                    "{\"user_id\":\"12345\",\"num_messages_sent\":42,\"last_login_at\":\"2026-11-20T10:00:00Z\"}");
            TestConfigs.produce(producer, config, "customers", "profiles", "777", "{\"id\":\"777\",\"name\":\"Only Profile\"}");
            TestConfigs.produce(producer, config, "products", "catalog", "sku1", "{\"sku\":\"sku1\",\"title\":\"Lamp\"}");
        }
        Poll.until(TIMEOUT, "Jane merged from both syncs", () -> {
            final HttpResponse<String> r = http.get("/v1/collections/customers/records/id/12345", bearer(ADMIN));
            return r.statusCode() == 200 && r.body().contains("num_messages_sent") && r.body().contains("full_name") ? Optional.of(r) : Optional.empty();
        });
        Poll.until(TIMEOUT, "record 777 and sku1", () ->
                http.get("/v1/collections/customers/records/id/777", bearer(ADMIN)).statusCode() == 200
                        && http.get("/v1/collections/products/records/id/sku1", bearer(ADMIN)).statusCode() == 200);
        // The index follows the records through a repartition topic: readable after its task's next commit.
        Poll.until(TIMEOUT, "Jane indexed by email", () ->
                http.get("/v1/collections/customers/records/email/jane@example.com", bearer(ADMIN)).statusCode() == 200);
    }

    @AfterAll
    static void stop() {
        instance.close();
        kafka.close();
        TempDirs.delete(stateDir);
    }

    private static JsonNode json(final String body) {
        try {
            return Json.mapper().readTree(body);
        } catch (final IOException e) {
            throw new AssertionError("not JSON: " + body, e);
        }
    }

    private static void assertError(final HttpResponse<String> response, final int status, final String code) {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElse("").split(";")[0]);
        final JsonNode body = json(response.body());
        assertEquals(code, body.path("error").asText(), response.body());
        assertFalse(body.path("message").asText().isEmpty(), "an error names the problem: " + response.body());
        assertFalse(response.body().contains("Exception"), "no stack trace in a response: " + response.body());
    }

    @Test
    void shouldAnswerARecordMergedFromTwoSyncsAsAPlainObject() {
        final HttpResponse<String> response = http.get("/v1/collections/customers/records/id/12345", bearer(ADMIN));
        assertEquals(200, response.statusCode());
        assertEquals(JANE, response.body());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElseThrow().split(";")[0]);
    }

    /**
     * A plain lookup is answered by the fast handler in front of Javalin, one with a query string by Javalin's
     * route: the two answers must not differ.
     */
    @Test
    void shouldAnswerTheSameThroughTheFastPathAndThroughTheRoute() {
        for (final String path : List.of("/v1/collections/customers/records/id/12345", "/v1/collections/customers/records/email/jane@example.com")) {
            final HttpResponse<String> fast = http.get(path, bearer(ADMIN));
            final HttpResponse<String> routed = http.get(path + "?meta=false", bearer(ADMIN));
            assertEquals(200, fast.statusCode(), fast.body());
            assertEquals(routed.body(), fast.body());
            for (final String header : List.of("Content-Type", "ETag", "Content-Length")) {
                assertEquals(routed.headers().firstValue(header), fast.headers().firstValue(header), header);
            }
            assertEquals(304, http.get(path, "Authorization", "Bearer " + ADMIN, "If-None-Match", fast.headers().firstValue("ETag").orElseThrow())
                    .statusCode());
        }
    }

    @Test
    void shouldAcceptThePrimaryIndexNameAsWellAsId() {
        assertEquals(JANE, http.get("/v1/collections/customers/records/user_id/12345", bearer(ADMIN)).body());
    }

    @Test
    void shouldAnswer404ForAnAbsentRecordAndAnUnknownCollection() {
        assertError(http.get("/v1/collections/customers/records/id/nobody", bearer(ADMIN)), 404, "record_not_found");
        assertError(http.get("/v1/collections/invoices/records/id/1", bearer(ADMIN)), 404, "collection_not_found");
    }

    @Test
    void shouldAnswer400ForAnInvalidCollectionNameOrIndex() {
        assertError(http.get("/v1/collections/cust-omers/records/id/1", bearer(ADMIN)), 400, "invalid_collection");
        final HttpResponse<String> index = http.get("/v1/collections/customers/records/phone/1", bearer(ADMIN));
        assertError(index, 400, "unknown_index");
        assertTrue(index.body().contains("user_id"), "names the indices to use: " + index.body());
    }

    @Test
    void shouldProjectFieldsOnRequest() {
        final HttpResponse<String> response = http.get("/v1/collections/customers/records/id/12345?fields=full_name,email", bearer(ADMIN));
        assertEquals("{\"full_name\":\"Jane Doe\",\"email\":\"jane@example.com\"}", response.body());
        assertError(http.get("/v1/collections/customers/records/id/12345?fields=", bearer(ADMIN)), 400, "invalid_parameter");
    }

    @Test
    void shouldShowProvenanceAndAgeWithMeta() {
        final JsonNode body = json(http.get("/v1/collections/customers/records/id/12345?meta=true", bearer(ADMIN)).body());
        assertEquals("Jane Doe", body.path("full_name").asText());
        final JsonNode meta = body.path("_meta");
        assertEquals("profiles", meta.path("fields").path("full_name").path("sync").asText());
        assertEquals("usage", meta.path("fields").path("num_messages_sent").path("sync").asText());
        assertTrue(meta.path("fields").path("full_name").path("updatedAt").asText().endsWith("Z"));
        assertTrue(meta.path("ageMs").asLong(-1) >= 0);
        assertTrue(meta.path("revision").asLong() >= 2, "two syncs changed the record");
        assertError(http.get("/v1/collections/customers/records/id/12345?meta=yes", bearer(ADMIN)), 400, "invalid_parameter");
    }

    @Test
    void shouldAnswer304WhenTheETagStillMatches() {
        final HttpResponse<String> first = http.get("/v1/collections/customers/records/id/12345", bearer(ADMIN));
        final String etag = first.headers().firstValue("ETag").orElseThrow();
        final HttpResponse<String> second = http.get("/v1/collections/customers/records/id/12345", "Authorization", "Bearer " + ADMIN, "If-None-Match", etag);
        assertEquals(304, second.statusCode());
        assertEquals("", second.body());
        final HttpResponse<String> other = http.get("/v1/collections/customers/records/id/12345", "Authorization", "Bearer " + ADMIN, "If-None-Match", "\"0.0\"");
        assertEquals(200, other.statusCode());
        final String projected = http.get("/v1/collections/customers/records/id/12345?fields=email", bearer(ADMIN)).headers().firstValue("ETag").orElseThrow();
        assertFalse(projected.equals(etag), "a projection has its own ETag");
    }

    @Test
    void shouldAnswerBatchesWithFoundAndMissingApart() {
        final HttpResponse<String> response = http.post("/v1/collections/customers/records/batch",
                "{\"ids\":[\"12345\",\"777\",\"nobody\",12345]}", bearer(ADMIN));
        assertEquals(200, response.statusCode(), response.body());
        final JsonNode body = json(response.body());
        assertEquals(json(JANE), body.path("records").path("12345"));
        assertEquals("Only Profile", body.path("records").path("777").path("full_name").asText());
        assertEquals(2, body.path("records").size());
        assertEquals("[\"nobody\"]", body.path("missing").toString());
    }

    @Test
    void shouldRefuseBatchesOverTheLimitAndMalformedBodies() {
        final String ids = IntStream.range(0, 1001).mapToObj(i -> "\"" + i + "\"").collect(Collectors.joining(","));
        final HttpResponse<String> tooMany = http.post("/v1/collections/customers/records/batch", "{\"ids\":[" + ids + "]}", bearer(ADMIN));
        assertError(tooMany, 400, "too_many_ids");
        assertTrue(tooMany.body().contains("1000"), tooMany.body());
        assertError(http.post("/v1/collections/customers/records/batch", "{\"ids\": [1,", bearer(ADMIN)), 400, "malformed_json");
        assertError(http.post("/v1/collections/customers/records/batch", "{\"keys\": []}", bearer(ADMIN)), 400, "invalid_body");
    }

    @Test
    void shouldRefuseBodiesOverTheSizeLimit() {
        final String big = "{\"ids\":[\"" + "x".repeat(1_100_000) + "\"]}";
        final HttpResponse<String> response = http.post("/v1/collections/customers/records/batch", big, bearer(ADMIN));
        assertEquals(413, response.statusCode(), response.body());
    }

    @Test
    void shouldAnswer405ForAWrongMethodAnd404ForAnUnknownPath() {
        assertError(http.delete("/v1/collections/customers/records/id/12345", bearer(ADMIN)), 405, "method_not_allowed");
        assertError(http.get("/v2/nothing", bearer(ADMIN)), 404, "not_found");
    }

    @Test
    void shouldAnswerActivationRequestsInTheRudderStackShape() {
        final HttpResponse<String> found = http.post("/v1/activation",
                "{\"entity\":\"customers\",\"destinationId\":\"demo\",\"id\":{\"type\":\"user_id\",\"value\":\"12345\"}}", bearer(ADMIN));
        assertEquals(200, found.statusCode(), found.body());
        assertEquals("{\"entity\":\"customers\",\"id\":{\"type\":\"user_id\",\"value\":\"12345\"},\"data\":" + JANE + "}", found.body());

        final HttpResponse<String> absent = http.post("/v1/activation",
                "{\"entity\":\"customers\",\"destinationId\":\"demo\",\"id\":{\"type\":\"user_id\",\"value\":42}}", bearer(ADMIN));
        assertEquals(200, absent.statusCode());
        assertEquals("{\"entity\":\"customers\",\"id\":{\"type\":\"user_id\",\"value\":42},\"data\":{}}", absent.body());
    }

    @Test
    void shouldAnswerActivationErrorsWithTheSeedsBodiesByteForByte() {
        final String request = "{\"entity\":\"customers\",\"destinationId\":\"demo\",\"id\":{\"type\":\"user_id\",\"value\":\"12345\"}}";
        final String unauthorized = "{\n  \"error\": \"Unauthorized request. Please check your access token\"\n}";
        final String invalidDestination = "{\n  \"error\": \"Invalid Destination. Please verify you are passing the right destination ID\"\n}";
        final HttpResponse<String> noToken = http.post("/v1/activation", request);
        assertEquals(401, noToken.statusCode());
        assertEquals(unauthorized, noToken.body());
        final HttpResponse<String> badToken = http.post("/v1/activation", request, bearer("not-a-key"));
        assertEquals(401, badToken.statusCode());
        assertEquals(unauthorized, badToken.body());
        final HttpResponse<String> unknown = http.post("/v1/activation", request.replace("\"demo\"", "\"redis-prod\""), bearer(ADMIN));
        assertEquals(404, unknown.statusCode());
        assertEquals(invalidDestination, unknown.body());
        final HttpResponse<String> blank = http.post("/v1/activation", request.replace("\"demo\"", "\"\""), bearer(ADMIN));
        assertEquals(404, blank.statusCode());
        assertEquals(invalidDestination, blank.body());
        final String productsKey = createKey("{\"name\":\"products only\",\"collections\":[\"products\"]}");
        final HttpResponse<String> otherScope = http.post("/v1/activation", request, bearer(productsKey));
        assertEquals(401, otherScope.statusCode(), "a key without access to the destination's entity");
        assertEquals(unauthorized, otherScope.body());
        assertEquals(400, http.post("/v1/activation", request.replace("\"user_id\"", "\"phone\""), bearer(ADMIN)).statusCode());
    }

    @Test
    void shouldAnswerHealthAndReadiness() {
        assertEquals("{\"status\":\"ok\"}", http.get("/healthz").body());
        final HttpResponse<String> ready = http.get("/readyz");
        assertEquals(200, ready.statusCode(), ready.body());
        assertEquals("ready", json(ready.body()).path("status").asText());
    }

    @Test
    void shouldExposePrometheusMetrics() {
        http.get("/v1/collections/customers/records/id/12345", bearer(ADMIN));
        http.get("/v1/collections/customers/records/id/nobody", bearer(ADMIN));
        final HttpResponse<String> metrics = http.get("/metrics", bearer(ADMIN));
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        final String body = metrics.body();
        assertTrue(body.contains("persona_http_requests_seconds_count{method=\"GET\",route=\"/v1/collections/{collection}/records/{index}/{value}\",status=\"200\"}"), body);
        assertTrue(body.contains("persona_http_requests_seconds_count{method=\"GET\",route=\"/v1/collections/{collection}/records/{index}/{value}\",status=\"404\"}"), body);
        assertTrue(body.contains("persona_http_requests_seconds_bucket{"), "a latency histogram");
        assertTrue(body.contains("kafka_stream_thread_process_rate"), "Kafka Streams metrics");
        assertTrue(body.contains("persona_lookups_stale_total"), "stale reads");
        assertTrue(body.contains("persona_lookups_forwarded_total"), "forwards");
    }

    @Test
    void shouldGiveEveryStoreOneSharedBlockCacheOfTheConfiguredSize() {
        final java.util.List<Double> capacities = instance.streams().metrics().entrySet().stream()
                .filter(e -> e.getKey().name().equals("block-cache-capacity"))
                .map(e -> ((Number) e.getValue().metricValue()).doubleValue()).toList();
        assertFalse(capacities.isEmpty(), "RocksDB reports its block cache");
        final double configured = dev.persona.config.KafkaSettings.DEFAULT_ROCKSDB_MEMORY_MB * 1024.0 * 1024.0;
        assertTrue(capacities.stream().allMatch(c -> c == configured), "every store uses the shared cache of the configured size: " + capacities);
    }

    @Test
    void shouldRefuseRequestsWithoutAValidKey() {
        assertError(http.get("/v1/collections/customers/records/id/12345"), 401, "unauthorized");
        assertError(http.get("/v1/collections/customers/records/id/12345", bearer("prs_unknown")), 401, "unauthorized");
        assertError(http.get("/v1/collections/customers/records/id/12345", "Authorization", "Basic abc"), 401, "unauthorized");
        assertError(http.post("/v1/collections/customers/records/batch", "{\"ids\":[\"1\"]}"), 401, "unauthorized");
    }

    @Test
    void shouldRefuseAKeyScopedToOtherCollectionsWith403() {
        final String productsKey = createKey("{\"name\":\"products only\",\"collections\":[\"products\"]}");
        assertError(http.get("/v1/collections/customers/records/id/12345", bearer(productsKey)), 403, "forbidden");
        assertEquals("{\"sku\":\"sku1\",\"title\":\"Lamp\"}", http.get("/v1/collections/products/records/id/sku1", bearer(productsKey)).body());
    }

    @Test
    void shouldCreateListAndRevokeKeysThroughTheAdminApi() {
        final HttpResponse<String> created = http.post("/admin/keys", "{\"name\":\"web app\",\"collections\":[\"customers\"]}", bearer(ADMIN));
        assertEquals(201, created.statusCode(), created.body());
        final JsonNode key = json(created.body());
        final String secret = key.path("key").asText();
        assertTrue(secret.startsWith("prs_"));
        assertEquals(200, http.get("/v1/collections/customers/records/id/12345", bearer(secret)).statusCode());

        final String listing = http.get("/admin/keys", bearer(ADMIN)).body();
        assertTrue(listing.contains(key.path("id").asText()));
        assertFalse(listing.contains(secret), "the secret is shown once, at creation");
        assertFalse(listing.contains("sha256"), "hashes are not shown either");

        assertError(http.post("/admin/keys", "{\"name\":\"x\"}", bearer(secret)), 403, "forbidden");
        assertError(http.post("/admin/keys", "{\"name\":\"x\"}"), 401, "unauthorized");
        assertError(http.post("/admin/keys", "{\"name\":\"x\",\"collections\":[\"nope\"]}", bearer(ADMIN)), 400, "unknown_collection");

        assertEquals(204, http.delete("/admin/keys/" + key.path("id").asText(), bearer(ADMIN)).statusCode());
        assertError(http.get("/v1/collections/customers/records/id/12345", bearer(secret)), 401, "unauthorized");
        assertError(http.delete("/admin/keys/nope", bearer(ADMIN)), 404, "key_not_found");
    }

    @Test
    void shouldNeverForwardARequestThatWasAlreadyForwarded() {
        final HttpResponse<String> response = http.get("/v1/collections/customers/records/id/12345",
                "Authorization", "Bearer " + ADMIN, "X-Persona-Forwarded-By", "127.0.0.1:1");
        // One instance owns everything: a forwarded request is answered locally.
        assertEquals(200, response.statusCode());
    }

    private static void profile(final String key, final String rowJson) {
        try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
            TestConfigs.produce(producer, config, "customers", "profiles", key, rowJson);
        }
    }

    @Test
    void shouldEscapeIdsThatNeedItAsKeysOfABatchAnswer() {
        final String id = "q\"uo\\te";
        profile(id, "{\"id\":\"q\\\"uo\\\\te\",\"name\":\"Quote\"}");
        Poll.until(TIMEOUT, "the record with quotes in its id", () -> http.post("/v1/collections/customers/records/batch",
                "{\"ids\":[\"q\\\"uo\\\\te\"]}", bearer(ADMIN)).body().contains("Quote"));
        final JsonNode batch = json(http.post("/v1/collections/customers/records/batch", "{\"ids\":[\"q\\\"uo\\\\te\"]}", bearer(ADMIN)).body());
        assertEquals("Quote", batch.path("records").path(id).path("full_name").asText(), batch.toString());
    }

    private static String byEmail(final String email, final String query) {
        final HttpResponse<String> r = http.get("/v1/collections/customers/records/email/" + email + query, bearer(ADMIN));
        return r.statusCode() == 200 ? r.body() : String.valueOf(r.statusCode());
    }

    @Test
    void shouldFindRecordsBySecondaryIndexInBothDialectsAndInBatches() {
        assertEquals(JANE, byEmail("jane@example.com", ""));
        assertEquals("{\"full_name\":\"Jane Doe\"}", byEmail("jane@example.com", "?fields=full_name"));
        assertEquals("profiles", json(byEmail("jane@example.com", "?meta=true")).path("_meta").path("fields").path("email").path("sync").asText());
        assertError(http.get("/v1/collections/customers/records/email/nobody@example.com", bearer(ADMIN)), 404, "record_not_found");
        final JsonNode batch = json(http.post("/v1/collections/customers/records/batch",
                "{\"index\":\"email\",\"ids\":[\"jane@example.com\",\"nobody@example.com\"]}", bearer(ADMIN)).body());
        assertEquals(json(JANE), batch.path("records").path("jane@example.com"));
        assertEquals("[\"nobody@example.com\"]", batch.path("missing").toString());
        final HttpResponse<String> activation = http.post("/v1/activation",
                "{\"entity\":\"customers\",\"destinationId\":\"demo\",\"id\":{\"type\":\"email\",\"value\":\"jane@example.com\"}}", bearer(ADMIN));
        assertEquals("{\"entity\":\"customers\",\"id\":{\"type\":\"email\",\"value\":\"jane@example.com\"},\"data\":" + JANE + "}", activation.body());
        final HttpResponse<String> undeclared = http.get("/v1/collections/customers/records/phone/1", bearer(ADMIN));
        assertError(undeclared, 400, "unknown_index");
        assertTrue(undeclared.body().contains("id, user_id, email"), undeclared.body());
    }

    @Test
    void shouldAnswer404ByTheOldValueAsSoonAsTheRecordShowsTheNewOne() {
        profile("idx1", "{\"id\":\"idx1\",\"name\":\"Ida\",\"email\":\"ida.old@example.com\"}");
        Poll.until(TIMEOUT, "Ida by her old email", () -> byEmail("ida.old@example.com", "").contains("Ida"));
        profile("idx1", "{\"id\":\"idx1\",\"email\":\"ida.new@example.com\"}");
        Poll.until(TIMEOUT, "the record showing the new email",
                () -> http.get("/v1/collections/customers/records/id/idx1", bearer(ADMIN)).body().contains("ida.new@example.com"));
        assertEquals("404", byEmail("ida.old@example.com", ""), "the old value answers 404 once the record shows the new one");
        Poll.until(TIMEOUT, "Ida by her new email", () -> byEmail("ida.new@example.com", "").contains("Ida"));

        profile("idx1", "{\"id\":\"idx1\",\"email\":null}");
        Poll.until(TIMEOUT, "the email cleared", () -> http.get("/v1/collections/customers/records/id/idx1", bearer(ADMIN)).body().contains("\"email\":null"));
        assertEquals("404", byEmail("ida.new@example.com", ""));

        profile("idx2", "{\"id\":\"idx2\",\"name\":\"Ivo\",\"email\":\"ivo@example.com\"}");
        Poll.until(TIMEOUT, "Ivo by email", () -> byEmail("ivo@example.com", "").contains("Ivo"));
        try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(
                    new dev.persona.topology.TopicNames(config.kafka()).sourceTopic(config.sync("profiles").orElseThrow()), "idx2",
                    "{\"op\":\"delete\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        Poll.until(TIMEOUT, "Ivo deleted", () -> http.get("/v1/collections/customers/records/id/idx2", bearer(ADMIN)).statusCode() == 404);
        assertEquals("404", byEmail("ivo@example.com", ""), "a deleted record is not found by its index values");
    }

    @Test
    void shouldLetTheMostRecentRecordWinAConflictShowItInMetaAndResolveWhenItChanges() {
        profile("c1", "{\"id\":\"c1\",\"name\":\"First\",\"email\":\"shared@example.com\"}");
        Poll.until(TIMEOUT, "c1 by email", () -> byEmail("shared@example.com", "").contains("First"));
        profile("c2", "{\"id\":\"c2\",\"name\":\"Second\",\"email\":\"shared@example.com\"}");
        Poll.until(TIMEOUT, "the most recent claim winning", () -> byEmail("shared@example.com", "").contains("Second"));
        final JsonNode conflict = json(byEmail("shared@example.com", "?meta=true")).path("_meta").path("indexConflicts").path("email");
        assertEquals("c2", conflict.path("winner").asText(), conflict.toString());
        assertEquals("[\"c2\",\"c1\"]", conflict.path("claimedBy").toString());
        final JsonNode onPrimary = json(http.get("/v1/collections/customers/records/id/c2?meta=true", bearer(ADMIN)).body());
        assertEquals("c2", onPrimary.path("_meta").path("indexConflicts").path("email").path("winner").asText(), "visible on the primary lookup too");
        profile("c2", "{\"id\":\"c2\",\"email\":\"second@example.com\"}");
        Poll.until(TIMEOUT, "the value falling back to c1", () -> byEmail("shared@example.com", "").contains("First"));
        Poll.until(TIMEOUT, "no conflict left", () -> !byEmail("shared@example.com", "?meta=true").contains("indexConflicts"));
    }

    private static String createKey(final String body) {
        final HttpResponse<String> created = http.post("/admin/keys", body, bearer(ADMIN));
        assertEquals(201, created.statusCode(), created.body());
        final String secret = json(created.body()).path("key").asText();
        assertNotNull(secret);
        return secret;
    }
}
