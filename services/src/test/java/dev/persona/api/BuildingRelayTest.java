package dev.persona.api;

import dev.persona.testing.ApiTestServer;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An instance whose topology version builds relays its clients' record reads to an instance of the running version,
 * and answers what that one answers: two real servers, no broker.
 */
class BuildingRelayTest {
    private static ApiTestServer building;
    private static ApiTestServer running;

    @BeforeAll
    static void start() {
        building = ApiTestServer.customers();
        running = ApiTestServer.customers();
        running.cluster().put("customers", "42", "{\"user_id\":\"42\",\"full_name\":\"Jane Doe\",\"email\":\"jane@example.com\"}");
    }

    @BeforeEach
    void relay() {
        building.relayTo(List.of(new HostInfo("127.0.0.1", running.port())));
        running.relayTo(List.of());
    }

    @AfterAll
    static void stop() {
        building.close();
        running.close();
    }

    @Test
    void aLookupIsAnsweredByTheRunningVersionAndSaysSo() {
        final HttpResponse<String> answer = building.http().get("/v1/collections/customers/records/user_id/42", bearer(ApiTestServer.ADMIN));
        assertEquals(200, answer.statusCode(), answer.body());
        assertTrue(answer.body().contains("Jane Doe"), answer.body());
        assertEquals("127.0.0.1:" + running.port(), answer.headers().firstValue(BuildingRelay.RELAYED_TO).orElse(null));
        final String etag = answer.headers().firstValue("ETag").orElseThrow();
        assertEquals(304, building.http().get("/v1/collections/customers/records/user_id/42", "Authorization", "Bearer " + ApiTestServer.ADMIN,
                "If-None-Match", etag).statusCode(), "the client's conditional headers go along");
        assertEquals(404, building.http().get("/v1/collections/customers/records/user_id/7", bearer(ApiTestServer.ADMIN)).statusCode(),
                "the running version's 404");
    }

    @Test
    void aBatchGoesWithItsBodyAndTheKeyIsCheckedByTheRunningVersion() {
        final HttpResponse<String> batch = building.http().post("/v1/collections/customers/records/batch", "{\"ids\":[\"42\",\"7\"]}",
                bearer(ApiTestServer.ADMIN));
        assertEquals(200, batch.statusCode(), batch.body());
        assertTrue(batch.body().contains("Jane Doe") && batch.body().contains("\"missing\":[\"7\"]"), batch.body());
        final HttpResponse<String> wrongKey = building.http().get("/v1/collections/customers/records/user_id/42", bearer("prs_not_a_key_anyone_has"));
        assertEquals(401, wrongKey.statusCode(), wrongKey.body());
    }

    @Test
    void aRelayedReadIsNotRelayedAgainAndNothingElseIsRelayed() {
        // The running instance relays too (it would, were it building): the read it was relayed stays there.
        running.relayTo(List.of(new HostInfo("127.0.0.1", building.port())));
        final HttpResponse<String> answer = building.http().get("/v1/collections/customers/records/user_id/42", bearer(ApiTestServer.ADMIN));
        assertEquals(200, answer.statusCode(), answer.body());
        assertTrue(answer.body().contains("Jane Doe"));
        final HttpResponse<String> admin = building.http().get("/admin/collections", bearer(ApiTestServer.ADMIN));
        assertFalse(admin.headers().firstValue(BuildingRelay.RELAYED_TO).isPresent(), "only reads of records are relayed");
    }

    @Test
    void aRunningVersionThatDoesNotAnswerLeavesA503WithRetryAfter() throws Exception {
        final int nobody;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            nobody = socket.getLocalPort();
        }
        building.relayTo(List.of(new HostInfo("127.0.0.1", nobody)));
        final HttpResponse<String> answer = building.http().get("/v1/collections/customers/records/user_id/42", bearer(ApiTestServer.ADMIN));
        assertEquals(503, answer.statusCode(), answer.body());
        assertEquals("1", answer.headers().firstValue("Retry-After").orElse(null));
        assertTrue(answer.body().contains("\"error\":\"unavailable\"") && answer.body().contains("127.0.0.1:" + nobody), answer.body());
    }
}
