package dev.persona.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.config.RateLimit;
import dev.persona.keys.KeySpec;
import dev.persona.testing.ApiTestServer;
import dev.persona.testing.TestHttp;
import dev.persona.topology.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP API's answers, status by status, from the real server with no broker ({@link ApiTestServer}): the lookup
 * route (its fast path and Javalin's), batches, the activation dialect, the partition map, the probes and keys.
 */
class ApiServerTest {
    private static final String ADMIN = ApiTestServer.ADMIN;
    private static ApiTestServer api;
    private static TestHttp http;

    @BeforeAll
    static void start() {
        api = ApiTestServer.customers();
        http = api.http();
        api.cluster().put("customers", "42", "{\"user_id\":\"42\",\"full_name\":\"Jane Doe\",\"email\":\"jane@example.com\",\"lifetime_value\":1492.18}");
        api.cluster().put("customers", "7", "{\"user_id\":\"7\",\"full_name\":\"John Roe\",\"email\":\"john@example.com\"}");
        api.cluster().put("products", "sku-1", "{\"sku\":\"sku-1\",\"title\":\"Lamp\"}");
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @AfterEach
    void settle() {
        api.cluster().rebalancing(false);
        api.draining(false);
    }

    private static JsonNode json(final HttpResponse<String> response) throws IOException {
        return Json.mapper().readTree(response.body());
    }

    private static String key(final KeySpec spec) {
        return api.keys().create(spec).secret();
    }

    @Test
    void aRecordIsAnsweredWithItsETagAndAnUnchangedOneWith304() throws IOException {
        final HttpResponse<String> found = http.get("/v1/collections/customers/records/id/42", bearer(ADMIN));
        assertEquals(200, found.statusCode(), found.body());
        assertEquals("Jane Doe", json(found).path("full_name").asText());
        assertEquals("127.0.0.1:1", found.headers().firstValue("X-Persona-Owner").orElseThrow());
        final String etag = found.headers().firstValue("ETag").orElseThrow();
        final String[] conditional = {"Authorization", "Bearer " + ADMIN, "If-None-Match", etag};
        assertEquals(304, http.get("/v1/collections/customers/records/id/42", conditional).statusCode());
        final HttpResponse<String> meta = http.get("/v1/collections/customers/records/id/42?meta=true", bearer(ADMIN));
        assertEquals(200, meta.statusCode(), meta.body());
        assertTrue(json(meta).has("_meta"), meta.body());
    }

    @Test
    void aSecondaryIndexFindsTheRecordThatHoldsTheValue() throws IOException {
        final HttpResponse<String> byEmail = http.get("/v1/collections/customers/records/email/john@example.com", bearer(ADMIN));
        assertEquals(200, byEmail.statusCode(), byEmail.body());
        assertEquals("7", json(byEmail).path("user_id").asText());
    }

    @Test
    void aRequestWithoutAKeyOrWithAnUnknownOneIs401() throws IOException {
        final HttpResponse<String> none = http.get("/v1/collections/customers/records/id/42");
        assertEquals(401, none.statusCode());
        assertEquals("unauthorized", json(none).path("error").asText());
        assertEquals(401, http.get("/v1/collections/customers/records/id/42", bearer("no-such-key")).statusCode());
    }

    @Test
    void aKeyIsRefusedACollectionItMayNotReadWith403AndAnUnknownOneWith404() throws IOException {
        final String products = key(KeySpec.reader("products only", List.of("products")));
        assertEquals(200, http.get("/v1/collections/products/records/id/sku-1", bearer(products)).statusCode());
        final HttpResponse<String> refused = http.get("/v1/collections/customers/records/id/42", bearer(products));
        assertEquals(403, refused.statusCode(), refused.body());
        final HttpResponse<String> unknown = http.get("/v1/collections/orders/records/id/1", bearer(ADMIN));
        assertEquals(404, unknown.statusCode(), unknown.body());
    }

    @Test
    void aRecordThatDoesNotExistIs404AndAnIndexThatDoesNotExist400() throws IOException {
        final HttpResponse<String> absent = http.get("/v1/collections/customers/records/id/nobody", bearer(ADMIN));
        assertEquals(404, absent.statusCode());
        assertEquals("record_not_found", json(absent).path("error").asText());
        final HttpResponse<String> badIndex = http.get("/v1/collections/customers/records/phone/123", bearer(ADMIN));
        assertEquals(400, badIndex.statusCode(), badIndex.body());
    }

    @Test
    void whilePartitionsMoveALookupIs503WithRetryAfterNeverA404() throws IOException {
        api.cluster().rebalancing(true);
        for (final String id : List.of("42", "nobody")) {
            final HttpResponse<String> moving = http.get("/v1/collections/customers/records/id/" + id, bearer(ADMIN));
            assertEquals(503, moving.statusCode(), id + ": " + moving.body());
            assertTrue(moving.headers().firstValue("Retry-After").isPresent(), "a 503 says when to ask again");
        }
        final HttpResponse<String> ready = http.get("/readyz", new String[0]);
        assertEquals(503, ready.statusCode(), "an instance whose partitions move is not ready: " + ready.body());
    }

    @Test
    void aKeyOverItsRateIsRefused429WithRetryAfter() {
        final String limited = key(new KeySpec("limited", List.of("customers"), false, new RateLimit(2, Duration.ofMinutes(1)), List.of()));
        assertEquals(200, http.get("/v1/collections/customers/records/id/42", bearer(limited)).statusCode());
        assertEquals(200, http.get("/v1/collections/customers/records/id/7", bearer(limited)).statusCode());
        final HttpResponse<String> over = http.get("/v1/collections/customers/records/id/42", bearer(limited));
        assertEquals(429, over.statusCode(), over.body());
        assertTrue(over.headers().firstValue("Retry-After").isPresent());
    }

    @Test
    void aKeyWithAFieldAllowListSeesOnlyThoseFields() throws IOException {
        final String narrow = key(new KeySpec("names only", List.of("customers"), false, null, List.of("full_name")));
        final HttpResponse<String> projected = http.get("/v1/collections/customers/records/id/42", bearer(narrow));
        assertEquals(200, projected.statusCode(), projected.body());
        assertEquals(List.of("full_name"), iterable(json(projected).fieldNames()));
    }

    private static List<String> iterable(final java.util.Iterator<String> names) {
        final List<String> list = new java.util.ArrayList<>();
        names.forEachRemaining(list::add);
        return list;
    }

    @Test
    void aBatchAnswersTheRecordsFoundAndNamesTheMissing() throws IOException {
        final HttpResponse<String> batch = http.post("/v1/collections/customers/records/batch", "{\"ids\":[\"42\",\"nobody\",\"7\"]}", bearer(ADMIN));
        assertEquals(200, batch.statusCode(), batch.body());
        assertEquals(List.of("42", "7"), iterable(json(batch).path("records").fieldNames()));
        assertEquals("nobody", json(batch).path("missing").path(0).asText());
        assertEquals(400, http.post("/v1/collections/customers/records/batch", "{\"ids\":\"42\"}", bearer(ADMIN)).statusCode());
    }

    @Test
    void theActivationDialectAnswersAsRudderStackDoes() throws IOException {
        final HttpResponse<String> profile = http.post("/v1/activation",
                "{\"entity\":\"customers\",\"destinationId\":\"demo\",\"id\":{\"type\":\"email\",\"value\":\"jane@example.com\"}}", bearer(ADMIN));
        assertEquals(200, profile.statusCode(), profile.body());
        assertEquals("42", json(profile).path("data").path("user_id").asText());
        final HttpResponse<String> absent = http.post("/v1/activation",
                "{\"entity\":\"customers\",\"destinationId\":\"demo\",\"id\":{\"type\":\"user_id\",\"value\":\"nobody\"}}", bearer(ADMIN));
        assertEquals(200, absent.statusCode(), "an unknown profile is empty data, as RudderStack answers: " + absent.body());
        assertEquals(0, json(absent).path("data").size());
        assertEquals(404, http.post("/v1/activation", "{\"entity\":\"customers\",\"destinationId\":\"nowhere\",\"id\":{\"type\":\"user_id\",\"value\":\"42\"}}",
                bearer(ADMIN)).statusCode());
        assertEquals(401, http.post("/v1/activation", "{}").statusCode());
    }

    @Test
    void anActivationTakesTheSameReadDecisionAsALookupAndOneRateTokenEach() throws IOException {
        final String body = "{\"entity\":\"customers\",\"destinationId\":\"demo\",\"id\":{\"type\":\"user_id\",\"value\":\"42\"}}";
        final String products = key(KeySpec.reader("products only", List.of("products")));
        assertEquals(401, http.post("/v1/activation", body, bearer(products)).statusCode(), "RudderStack words a key scoped elsewhere as no key");
        final String limited = key(new KeySpec("limited", List.of("customers"), false, new RateLimit(2, Duration.ofMinutes(1)), List.of()));
        assertEquals(200, http.post("/v1/activation", body, bearer(limited)).statusCode());
        assertEquals(200, http.post("/v1/activation", body, bearer(limited)).statusCode(), "one token per request, not two");
        assertEquals(429, http.post("/v1/activation", body, bearer(limited)).statusCode());
        final String narrow = key(new KeySpec("names only", List.of("customers"), false, null, List.of("full_name")));
        final HttpResponse<String> projected = http.post("/v1/activation", body, bearer(narrow));
        assertEquals(List.of("full_name"), iterable(json(projected).path("data").fieldNames()), projected.body());
    }

    @Test
    void thePartitionMapNamesEveryPartitionsOwnerAndThePartitioner() throws IOException {
        final HttpResponse<String> map = http.get("/v1/collections/customers/partitions", bearer(ADMIN));
        assertEquals(200, map.statusCode(), map.body());
        assertEquals(4, json(map).path("partitions").asInt());
        assertEquals("user_id", json(map).path("primaryIndex").asText());
        json(map).path("owners").forEach(owner -> assertEquals("127.0.0.1:1", owner.path("active").asText(), map.body()));
    }

    @Test
    void probesSayReadyWhileRunningAndNotWhileStopping() {
        assertEquals(200, http.get("/readyz", new String[0]).statusCode());
        assertEquals(200, http.get("/healthz", new String[0]).statusCode());
        api.draining(true);
        assertEquals(503, http.get("/readyz", new String[0]).statusCode(), "a stopping instance takes no new traffic");
        assertEquals(200, http.get("/healthz", new String[0]).statusCode(), "and is not restarted for it");
    }

    @Test
    void aKeyCreatedByAnAdminReadsAtOnceAndARevokedOneNoMore() throws IOException {
        final HttpResponse<String> created = http.post("/admin/keys", "{\"name\":\"app\",\"collections\":[\"customers\"]}", bearer(ADMIN));
        assertEquals(201, created.statusCode(), created.body());
        final String secret = json(created).path("key").asText();
        final String id = json(created).path("id").asText();
        assertEquals(200, http.get("/v1/collections/customers/records/id/42", bearer(secret)).statusCode());
        assertEquals(403, http.post("/admin/keys", "{\"name\":\"x\",\"collections\":[\"*\"]}", bearer(secret)).statusCode(),
                "a reader creates no keys");
        assertEquals(204, http.delete("/admin/keys/" + id, bearer(ADMIN)).statusCode());
        assertEquals(401, http.get("/v1/collections/customers/records/id/42", bearer(secret)).statusCode());
        assertFalse(http.get("/admin/keys", bearer(ADMIN)).body().contains(secret), "a secret is shown once");
    }

    @Test
    void aSyncsRunHistoryIsShownAndARunOfATopicSyncIsRefusedWithTheWayToAsk() throws IOException {
        final HttpResponse<String> syncs = http.get("/admin/syncs", bearer(ADMIN));
        assertEquals(200, syncs.statusCode(), syncs.body());
        final HttpResponse<String> plain = http.post("/admin/syncs/profiles/runs", "{}", bearer(ADMIN));
        assertEquals(400, plain.statusCode(), plain.body());
        assertTrue(json(plain).path("message").asText().contains("full"), plain.body());
        assertEquals(404, http.post("/admin/syncs/nothing/runs", "{}", bearer(ADMIN)).statusCode());
    }
}
