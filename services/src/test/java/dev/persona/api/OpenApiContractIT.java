package dev.persona.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.DuckDb;
import dev.persona.testing.EventStream;
import dev.persona.testing.OpenApiContract;
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
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAPI document cannot drift from what Persona answers: every operation it declares is called on a running
 * instance, its answers (successes and errors) are validated against the declared schemas, and the served
 * {@code /openapi.json} is the document in the repository.
 */
class OpenApiContractIT {
    private static final String ADMIN = "contract-admin-secret";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String ONE = "/v1/collections/{collection}/records/{index}/{value}";
    private static final String BATCH = "/v1/collections/{collection}/records/batch";

    private static TestKafka kafka;
    private static PersonaInstance instance;
    private static Path dir;
    private static TestHttp http;
    private static final OpenApiContract CONTRACT = OpenApiContract.fromClassPath();

    @BeforeAll
    static void start() throws IOException {
        kafka = TestKafka.start();
        dir = Files.createTempDirectory("persona-contract");
        final DuckDb warehouse = TestConfigs.plansWarehouse(dir.resolve("warehouse.duckdb"), "('12345', 'pro')");
        final String app = TestKafka.uniqueName("contract");
        final String yaml = TestConfigs.customersYaml(kafka.bootstrapServers(), app) + TestConfigs.plansSync(warehouse, "every 1h");
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).parse(Path.of(app + ".yaml"), yaml);
        instance = PersonaInstance.start(config, InstanceOptions.local(dir.resolve("state"), dir).withAdminKey(ADMIN));
        http = new TestHttp(instance.port());
        try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
            TestConfigs.produce(producer, config, "customers", "profiles", "12345", """
                    {"id":12345,"name":"Jane Doe","email":"jane@example.com","ltv":1492.184}""");
            TestConfigs.produce(producer, config, "products", "catalog", "sku1", "{\"sku\":\"sku1\",\"title\":\"Lamp\"}");
        }
        Poll.until(TIMEOUT, "Jane merged and indexed, with her plan", () ->
                http.get("/v1/collections/customers/records/email/jane@example.com", bearer(ADMIN)).body().contains("\"plan\""));
    }

    @AfterAll
    static void stop() {
        instance.close();
        kafka.close();
        TempDirs.delete(dir);
    }

    @Test
    void shouldServeTheDocumentOfTheRepositoryWithoutAKey() throws IOException {
        final HttpResponse<String> served = http.get("/openapi.json");
        CONTRACT.check("GET", "/openapi.json", served);
        assertEquals(CONTRACT.document(), Json.mapper().readTree(served.body()));
        assertEquals("3.1.0", CONTRACT.document().path("openapi").asText());
    }

    @Test
    void shouldAnswerLookupsAsDeclaredInBothDialects() {
        final String[] admin = bearer(ADMIN);
        CONTRACT.check("GET", ONE, http.get("/v1/collections/customers/records/id/12345", admin));
        CONTRACT.check("GET", ONE, http.get("/v1/collections/customers/records/email/jane@example.com?meta=true", admin));
        final HttpResponse<String> tagged = http.get("/v1/collections/customers/records/id/12345", admin);
        final String etag = tagged.headers().firstValue("ETag").orElseThrow();
        final HttpResponse<String> unchanged = http.get("/v1/collections/customers/records/id/12345", "Authorization", "Bearer " + ADMIN, "If-None-Match", etag);
        assertEquals(304, unchanged.statusCode());
        CONTRACT.check("GET", ONE, unchanged);
        CONTRACT.check("GET", ONE, http.get("/v1/collections/customers/records/id/nobody", admin));
        CONTRACT.check("GET", ONE, http.get("/v1/collections/customers/records/phone/1", admin));
        CONTRACT.check("GET", ONE, http.get("/v1/collections/customers/records/id/12345?fields=nope", admin));
        CONTRACT.check("GET", ONE, http.get("/v1/collections/customers/records/id/12345"));
        CONTRACT.check("GET", ONE, http.get("/v1/collections/customers/records/id/12345", bearer("prs_unknown")));
        CONTRACT.check("GET", ONE, http.get("/v1/collections/nothing/records/id/1", admin));

        final String changes = ONE + "/changes";
        try (EventStream stream = EventStream.open("http://127.0.0.1:" + instance.port() + "/v1/collections/customers/records/id/12345/changes", admin)) {
            CONTRACT.checkStream("GET", changes, stream.response());
        }
        CONTRACT.check("GET", changes, http.get("/v1/collections/customers/records/email/nobody@example.com/changes", admin));
        CONTRACT.check("GET", changes, http.get("/v1/collections/customers/records/phone/1/changes", admin));
        CONTRACT.check("GET", changes, http.get("/v1/collections/customers/records/id/1/changes"));

        CONTRACT.check("POST", BATCH, http.post("/v1/collections/customers/records/batch", "{\"ids\":[\"12345\",\"nobody\"]}", admin));
        CONTRACT.check("POST", BATCH, http.post("/v1/collections/customers/records/batch?meta=true",
                "{\"index\":\"email\",\"ids\":[\"jane@example.com\"]}", admin));
        final String tooMany = IntStream.range(0, 1001).mapToObj(i -> "\"" + i + "\"").collect(Collectors.joining(",", "{\"ids\":[", "]}"));
        CONTRACT.check("POST", BATCH, http.post("/v1/collections/customers/records/batch", tooMany, admin));
        CONTRACT.check("POST", BATCH, http.post("/v1/collections/customers/records/batch", "{\"ids\":", admin));
        CONTRACT.check("POST", BATCH, http.post("/v1/collections/customers/records/batch", "{\"ids\":[\"" + "x".repeat(1_100_000) + "\"]}", admin));

        final String activation = "/v1/activation";
        CONTRACT.check("POST", activation, http.post(activation,
                "{\"entity\":\"customers\",\"destinationId\":\"demo\",\"id\":{\"type\":\"user_id\",\"value\":\"12345\"}}", admin));
        CONTRACT.check("POST", activation, http.post(activation,
                "{\"entity\":\"customers\",\"destinationId\":\"demo\",\"id\":{\"type\":\"user_id\",\"value\":\"nobody\"}}", admin));
        CONTRACT.check("POST", activation, http.post(activation,
                "{\"entity\":\"customers\",\"destinationId\":\"nope\",\"id\":{\"type\":\"user_id\",\"value\":\"1\"}}", admin));
        CONTRACT.check("POST", activation, http.post(activation,
                "{\"entity\":\"customers\",\"destinationId\":\"demo\",\"id\":{\"type\":\"phone\",\"value\":\"1\"}}", admin));
        CONTRACT.check("POST", activation, http.post(activation, "{}"));
    }

    @Test
    void shouldAnswerScopeAndRateLimitErrorsAsDeclared() throws IOException {
        final JsonNode products = Json.mapper().readTree(http.post("/admin/keys",
                "{\"name\":\"catalog\",\"collections\":[\"products\"],\"rate\":\"1/m\"}", bearer(ADMIN)).body());
        final String key = products.path("key").asText();
        CONTRACT.check("GET", ONE, http.get("/v1/collections/customers/records/id/12345", bearer(key)));
        Poll.until(TIMEOUT, "the key's one request a minute spent", () -> {
            final HttpResponse<String> answer = http.get("/v1/collections/products/records/id/sku1", bearer(key));
            CONTRACT.check("GET", ONE, answer);
            return answer.statusCode() == 429;
        });
    }

    @Test
    void shouldAnswerHealthAndMetricsAsDeclared() {
        CONTRACT.check("GET", "/healthz", http.get("/healthz"));
        CONTRACT.check("GET", "/readyz", http.get("/readyz"));
        final HttpResponse<String> metrics = http.get("/metrics", bearer(ADMIN));
        CONTRACT.check("GET", "/metrics", metrics);
        CONTRACT.check("GET", "/v1/collections/{collection}/partitions", http.get("/v1/collections/customers/partitions", bearer(ADMIN)));
        CONTRACT.check("GET", "/v1/collections/{collection}/partitions", http.get("/v1/collections/customers/partitions"));
        assertTrue(metrics.body().contains("persona_"), "metrics name Persona's figures");
    }

    @Test
    void shouldAnswerTheAdminApiAsDeclared() throws IOException {
        final String[] admin = bearer(ADMIN);
        final HttpResponse<String> created = http.post("/admin/keys", "{\"name\":\"reader\",\"collections\":[\"customers\"],\"fields\":[\"email\"]}", admin);
        CONTRACT.check("POST", "/admin/keys", created);
        final String id = Json.mapper().readTree(created.body()).path("id").asText();
        final String reader = Json.mapper().readTree(created.body()).path("key").asText();
        CONTRACT.check("POST", "/admin/keys", http.post("/admin/keys", "{\"name\":\"bad\",\"collections\":[\"nothing\"]}", admin));
        CONTRACT.check("GET", "/admin/keys", http.get("/admin/keys", admin));
        CONTRACT.check("GET", "/admin/keys", http.get("/admin/keys", bearer(reader)));
        CONTRACT.check("GET", "/admin/keys", http.get("/admin/keys"));
        CONTRACT.check("DELETE", "/admin/keys/{id}", http.delete("/admin/keys/" + id, admin));
        CONTRACT.check("DELETE", "/admin/keys/{id}", http.delete("/admin/keys/no-such-key", admin));

        CONTRACT.check("GET", "/admin/syncs", http.get("/admin/syncs", admin));
        CONTRACT.check("POST", "/admin/syncs/{id}/runs", http.post("/admin/syncs/plans/runs", "{\"full\":true}", admin));
        CONTRACT.check("POST", "/admin/syncs/{id}/runs", http.post("/admin/syncs/profiles/runs", "", admin));
        CONTRACT.check("POST", "/admin/syncs/{id}/runs", http.post("/admin/syncs/nothing/runs", "", admin));
        CONTRACT.check("POST", "/admin/syncs/{id}/cancel", http.post("/admin/syncs/plans/cancel", "", admin));
        CONTRACT.check("POST", "/admin/syncs/{id}/cancel", http.post("/admin/syncs/profiles/cancel", "", admin));
        Poll.until(TIMEOUT, "the full run of plans recorded", () -> {
            final HttpResponse<String> runs = http.get("/admin/syncs/plans/runs", admin);
            CONTRACT.check("GET", "/admin/syncs/{id}/runs", runs);
            return runs.body().contains("\"full\":true");
        });
        CONTRACT.check("GET", "/admin/syncs/{id}/runs", http.get("/admin/syncs/nothing/runs", admin));
        final String firstRun = Json.mapper().readTree(http.get("/admin/syncs/plans/runs", admin).body()).path("runs").path(0).path("id").asText();
        CONTRACT.check("GET", "/admin/syncs/{id}/runs/{run}", http.get("/admin/syncs/plans/runs/" + firstRun, admin));
        CONTRACT.check("GET", "/admin/syncs/{id}/runs/{run}", http.get("/admin/syncs/plans/runs/nosuch", admin));
        CONTRACT.check("GET", "/admin/syncs/{id}/runs/{run}", http.get("/admin/syncs/plans/runs/" + firstRun));
        CONTRACT.check("GET", "/admin/cluster", http.get("/admin/cluster", admin));
        CONTRACT.check("GET", "/admin/collections", http.get("/admin/collections", admin));
        CONTRACT.check("GET", "/admin/collections/{collection}/dead-letters", http.get("/admin/collections/customers/dead-letters", admin));
        CONTRACT.check("GET", "/admin/collections/{collection}/dead-letters", http.get("/admin/collections/nothing/dead-letters", admin));
        CONTRACT.check("GET", "/admin/collections/{collection}/records/{id}/history",
                http.get("/admin/collections/customers/records/12345/history", admin));
        CONTRACT.check("GET", "/admin/collections/{collection}/records/{id}/history",
                http.get("/admin/collections/customers/records/12345/history", bearer(reader)));
        final String purge = "/admin/collections/{collection}/purge";
        CONTRACT.check("POST", purge, http.post("/admin/collections/customers/purge", "{\"value\":\"purge-contract\"}", admin));
        CONTRACT.check("POST", purge, http.post("/admin/collections/customers/purge", "{\"index\":\"email\",\"value\":\"nobody@example.com\"}", admin));
        CONTRACT.check("POST", purge, http.post("/admin/collections/customers/purge", "{\"index\":\"email\"}", admin));
        CONTRACT.check("POST", purge, http.post("/admin/collections/customers/purge", "{\"value\":\"x\"}", bearer(reader)));
        CONTRACT.check("GET", "/console", http.get("/console"));
    }

    @Test
    void shouldTryEveryDeclaredOperation() {
        shouldAnswerLookupsAsDeclaredInBothDialects();
        shouldAnswerHealthAndMetricsAsDeclared();
        try {
            shouldServeTheDocumentOfTheRepositoryWithoutAKey();
            shouldAnswerTheAdminApiAsDeclared();
        } catch (final IOException e) {
            throw new AssertionError(e);
        }
        assertEquals(java.util.Set.of(), CONTRACT.untried(), "operations in openapi.yaml that no test calls");
    }
}
