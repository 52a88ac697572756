package dev.persona.faults;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.Poll;
import dev.persona.testing.RawHttp;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestConfigs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import dev.persona.topology.Json;
import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.apache.kafka.clients.producer.KafkaProducer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static dev.persona.testing.TestHttp.bearer;

/**
 * The API fuzzed from outside with Jazzer: 100,000 generated requests (paths, escapes, query strings, headers,
 * methods, bodies) on every route of a running instance, over raw sockets so that nothing a client library would
 * refuse is left out. Every answer must be JSON (the Prometheus text of a successful {@code /metrics} aside), none a 5xx other
 * than 503, and afterwards the instance must still answer a real lookup with the right record.
 */
class ApiFuzzIT {
    private static final String ADMIN = "fuzz-admin-secret";
    private static final String JANE = "{\"user_id\":12345,\"full_name\":\"Jane Doe\",\"email\":\"jane@example.com\"}";
    private static final int TRIES = 100_000;

    private static TestKafka kafka;
    private static PersonaInstance instance;
    private static Path stateDir;
    private static RawHttp raw;
    private static String reader;

    @BeforeAll
    static void start() throws IOException {
        kafka = TestKafka.start();
        final PersonaConfig config = TestConfigs.customers(kafka.bootstrapServers(), TestKafka.uniqueName("fuzz"));
        stateDir = Files.createTempDirectory("persona-fuzz");
        instance = PersonaInstance.start(config.withHttp(config.http().withRateLimit(dev.persona.config.RateLimit.parse("1000000/s"))),
                InstanceOptions.local(stateDir, stateDir).withAdminKey(ADMIN));
        try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
            TestConfigs.produce(producer, config, "customers", "profiles", "12345", "{\"id\":12345,\"name\":\"Jane Doe\",\"email\":\"jane@example.com\"}");
        }
        final TestHttp http = new TestHttp(instance.port());
        Poll.until(Duration.ofSeconds(60), "Jane indexed", () ->
                http.get("/v1/collections/customers/records/email/jane@example.com", bearer(ADMIN)).statusCode() == 200);
        reader = Json.mapper().readTree(http.post("/admin/keys", "{\"name\":\"fuzz reader\",\"collections\":[\"customers\"],\"fields\":[\"full_name\",\"email\"]}",
                bearer(ADMIN)).body()).path("key").asText();
        raw = new RawHttp(instance.port());
    }

    @AfterAll
    static void stop() throws IOException {
        // Jazzer's network sanitizer stays armed after the fuzz run: a connection it was not told of is a finding,
        // and a finding outside a fuzz target ends the JVM, so that no result of the whole class reaches the build.
        try (SilentCloseable loopback = BugDetectors.allowNetworkConnections((host, port) -> port == instance.port())) {
            // Afterwards it still answers, and answers right.
            final TestHttp http = new TestHttp(instance.port());
            final String byId = http.get("/v1/collections/customers/records/id/12345", bearer(ADMIN)).body();
            final String byEmail = http.get("/v1/collections/customers/records/email/jane@example.com", bearer(ADMIN)).body();
            if (!JANE.equals(byId) || !JANE.equals(byEmail)) {
                throw new AssertionError("after the fuzz run the instance answers " + byId + " / " + byEmail);
            }
        } finally {
            instance.close();
            kafka.close();
            TempDirs.delete(stateDir);
        }
    }

    /**
     * One generated request per execution, built from the fuzzer's bytes: Jazzer's coverage feedback (Persona's and
     * Jetty's classes) steers the bytes toward paths the server has not taken yet.
     */
    @FuzzTest(maxExecutions = TRIES, maxDuration = "20m")
    void shouldAnswerEveryRequestWithJsonAndNever5xxButUnavailable(final FuzzedDataProvider data) throws IOException {
        final Fuzzed request = Fuzzed.of(data);
        final RawHttp.Answer answer;
        // The one connection the test makes on purpose: to the instance, on loopback. Any other is still a finding.
        try (SilentCloseable loopback = BugDetectors.allowNetworkConnections((host, port) -> port == instance.port()
                && (host.equals("localhost") || host.equals("127.0.0.1")))) {
            answer = raw.send(request.bytes(), request.method().equals("HEAD"));
        } catch (final IOException e) {
            throw new AssertionError("no answer (" + e + ") for " + request, e);
        }
        if (answer.status() >= 500 && answer.status() != 503) {
            throw new AssertionError(answer.status() + " for " + request + ": " + answer.body());
        }
        final boolean scrape = answer.status() == 200 && request.path().startsWith("/metrics");
        if (!answer.body().isEmpty() && !scrape) {
            if (!answer.header("Content-Type").startsWith("application/json")) {
                throw new AssertionError("not JSON (" + answer.header("Content-Type") + ") for " + request + ": " + answer.body());
            }
            final JsonNode body = Json.mapper().readTree(answer.body());
            if (answer.status() >= 400 && !body.has("error")) {
                throw new AssertionError("an error without \"error\" for " + request + ": " + answer.body());
            }
        }
    }

    private static final String[] METHODS = {"GET", "GET", "GET", "POST", "POST", "DELETE", "PUT", "HEAD", "OPTIONS", "PATCH", "TRACE", "BREW"};
    private static final String[] SEGMENTS = {"customers", "products", "id", "email", "user_id", "12345", "jane@example.com", "batch", "records",
            "nosuch", "records-customers", "index-customers", "demo", "%zz", "%", "%2F", "%00", "%E9", "%C3%A9", "%FF%FE", "..", ".", "%2e%2e",
            ";x=1", "%25", "%u0041", "\u00e9", "\u4e2d", "a b", "", "x".repeat(20_000)};
    private static final String[] FIXED_PATHS = {"/v1/activation", "/admin/keys", "/admin/syncs", "/admin/cluster", "/healthz", "/readyz",
            "/metrics", "/internal/v1/status", "/", "/v1", "/v1/collections", "/admin", "//v1//collections", "*"};
    private static final String[] QUERIES = {"", "", "", "?meta=true", "?meta=false", "?meta=maybe", "?fields=full_name", "?fields=", "?fields=,,",
            "?fields=full_name&meta=true", "?meta=true&meta=false", "?%zz=1", "?=", "?&&"};
    private static final String[] AUTHORIZATIONS = {"Bearer " + ADMIN, "Bearer " + ADMIN, "Bearer READER", "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
            "Bearer", "bearer  ", "", "Bearer " + ADMIN + " " + ADMIN, "Bearer " + "k".repeat(9_000), "Bearer " + "k".repeat(40_000)};
    private static final String[] HEADERS = {"Content-Type: application/json", "Content-Type: text/plain", "Content-Type: ", "Accept: text/html",
            "Accept: */*", "Accept-Encoding: gzip", "If-None-Match: \"x\"", "If-None-Match: *", "X-Persona-Forwarded-By: 127.0.0.1:1",
            "X-Persona-Signature: t=1,v1=00", "X-Persona-Caller: x", "X-Persona-Scope: *", "Expect: 100-continue", "Transfer-Encoding: gzip",
            "Content-Encoding: gzip", "Range: bytes=0-1", "Host: other"};

    /**
     * A generated request.
     *
     * @param method  the method
     * @param path    the path and query, as sent
     * @param headers header lines
     * @param body    the body, possibly empty
     */
    record Fuzzed(String method, String path, List<String> headers, byte[] body) {
        static Fuzzed of(final FuzzedDataProvider data) {
            final String method = data.consumeBoolean() ? data.pickValue(METHODS) : line(data.consumeAsciiString(12));
            final String path = switch (data.consumeInt(0, 6)) {
                case 0, 1, 2 -> "/v1/collections/" + segment(data) + "/records/" + segment(data) + "/" + segment(data);
                case 3 -> "/v1/collections/" + segment(data) + "/records/batch";
                case 4 -> data.pickValue(FIXED_PATHS);
                case 5 -> data.pickValue(new String[]{"/admin/keys/", "/admin/syncs/", "/internal/v2/stores/"}) + segment(data)
                        + data.pickValue(new String[]{"", "/runs", "/batch"});
                default -> "/" + line(data.consumeString(60));
            };
            final String query = data.consumeBoolean() ? data.pickValue(QUERIES) : "?" + line(data.consumeString(30));
            final List<String> headers = new java.util.ArrayList<>();
            final String authorization = data.pickValue(AUTHORIZATIONS);
            if (!authorization.isEmpty()) {
                headers.add("Authorization: " + authorization.replace("READER", reader == null ? "none" : reader));
            }
            for (int i = data.consumeInt(0, 3); i > 0; i--) {
                headers.add(data.consumeBoolean() ? data.pickValue(HEADERS) : line(data.consumeAsciiString(20)) + ": " + line(data.consumeString(60)));
            }
            final byte[] body = switch (data.consumeInt(0, 7)) {
                case 0, 1 -> new byte[0];
                case 2 -> ("{\"ids\":[" + value(data) + "," + value(data) + "],\"index\":" + value(data) + "}").getBytes(StandardCharsets.UTF_8);
                case 3 -> ("{\"entity\":" + value(data) + ",\"destinationId\":" + value(data) + ",\"id\":{\"type\":" + value(data)
                        + ",\"value\":" + value(data) + "}}").getBytes(StandardCharsets.UTF_8);
                case 4 -> ("{\"name\":" + value(data) + ",\"collections\":" + value(data) + ",\"rate\":" + value(data) + ",\"fields\":"
                        + value(data) + ",\"admin\":" + value(data) + "}").getBytes(StandardCharsets.UTF_8);
                case 5 -> "[".repeat(data.consumeInt(1, 5_000)).getBytes(StandardCharsets.UTF_8);
                case 6 -> ("{\"ids\":[\"" + "1".repeat(data.consumeInt(1, 1_200_000)) + "\"]}").getBytes(StandardCharsets.UTF_8);
                default -> data.consumeBytes(2_000);
            };
            return new Fuzzed(method, path + query, List.copyOf(headers), body);
        }

        private static String segment(final FuzzedDataProvider data) {
            return data.consumeBoolean() ? data.pickValue(SEGMENTS) : line(data.consumeString(24)).replace(" ", "%20").replace("/", "%2F");
        }

        private static String value(final FuzzedDataProvider data) {
            return switch (data.consumeInt(0, 3)) {
                case 0 -> data.pickValue(new String[]{"\"12345\"", "12345", "\"jane@example.com\"", "null", "true", "[]", "{}", "\"\"", "-1",
                        "1e309", "[\"customers\"]", "\"*\"", "\"5/s\"", "[\"full_name\"]", "\"demo\"", "\"customers\"", "\"email\""});
                case 1 -> Json.mapper().valueToTree(data.consumeString(20)).toString();
                case 2 -> Long.toString(data.consumeLong());
                default -> line(data.consumeAsciiString(10));
            };
        }

        /** Text that cannot end the request line or a header early: a request always arrives whole. */
        private static String line(final String text) {
            return text.replace("\r", "%0D").replace("\n", "%0A");
        }

        byte[] bytes() {
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes((method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n").getBytes(StandardCharsets.UTF_8));
            for (final String header : headers) {
                out.writeBytes((header + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            out.writeBytes(("Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            out.writeBytes(body);
            return out.toByteArray();
        }

        @Override
        public String toString() {
            return method + " " + abbreviate(path) + " " + headers.stream().map(ApiFuzzIT::abbreviate).toList() + " body "
                    + abbreviate(new String(body, StandardCharsets.UTF_8));
        }
    }

    private static String abbreviate(final String text) {
        return text.length() <= 300 ? text : text.substring(0, 300) + "...(" + text.length() + " chars)";
    }
}
