package dev.persona.ingest;

import com.sun.net.httpserver.HttpServer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.config.AlertChannel;
import dev.persona.config.OnDelete;
import dev.persona.config.SourceConfig;
import dev.persona.config.SyncConfig;
import dev.persona.testing.Poll;
import dev.persona.topology.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Alerts go to a real webhook (an HTTP server on loopback); only the clock is the test's. */
class FailureAlertsTest {
    private final List<String> posted = new CopyOnWriteArrayList<>();
    private final List<String> pagerDuty = new CopyOnWriteArrayList<>();
    private final List<String> generic = new CopyOnWriteArrayList<>();
    private HttpServer webhook;
    private Instant now = Instant.parse("2026-12-02T10:00:00Z");

    @BeforeEach
    void startWebhook() throws IOException {
        webhook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        webhook.createContext("/hook", exchange -> {
            posted.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        webhook.createContext("/v2/enqueue", exchange -> {
            pagerDuty.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(202, -1);
            exchange.close();
        });
        webhook.createContext("/events", exchange -> {
            generic.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        webhook.start();
    }

    @AfterEach
    void stopWebhook() {
        webhook.stop(0);
    }

    private SyncConfig sync() {
        final String base = "http://127.0.0.1:" + webhook.getAddress().getPort();
        return new SyncConfig("profiles", "customers", new SourceConfig.Cdc("jdbc:postgresql://h/db", "public.p"), "id", List.of(),
                OnDelete.CLEAR_FIELDS, List.of(new AlertChannel.Slack(base + "/hook"), new AlertChannel.PagerDuty("R0UT1NG", base + "/v2/enqueue"),
                new AlertChannel.Webhook(base + "/events")), Duration.ofHours(1));
    }

    private static JsonNode json(final String body) {
        try {
            return Json.mapper().readTree(body);
        } catch (final IOException e) {
            throw new AssertionError(body, e);
        }
    }

    private Clock clock() {
        return new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(final java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now;
            }
        };
    }

    @Test
    void shouldAlertWhenASyncStartsFailingRemindHourlyAndSayWhenItRecovers() {
        final FailureAlerts alerts = new FailureAlerts(clock());
        final SyncConfig sync = sync();
        final SyncRun failed = SyncRun.start("profiles", RunTrigger.SCHEDULE, false, "i1").failed("cannot connect");
        for (int retry = 0; retry < 100; retry++) {
            alerts.runFailed(sync, failed);
            now = now.plusSeconds(30);
        }
        // 100 retries 30 s apart: 50 minutes, one alert.
        Poll.until(Duration.ofSeconds(10), "the first alert", () -> posted.size() == 1);
        assertTrue(posted.get(0).contains("is failing") && posted.get(0).contains("cannot connect"), posted.toString());
        now = now.plus(Duration.ofMinutes(11));
        alerts.runFailed(sync, failed);
        Poll.until(Duration.ofSeconds(10), "a reminder an hour after the first alert", () -> posted.size() == 2);
        assertTrue(posted.get(1).contains("still failing") && posted.get(1).contains("101 failed attempts"), posted.get(1));
        alerts.runSucceeded(sync, "i1");
        alerts.runSucceeded(sync, "i1");
        Poll.until(Duration.ofSeconds(10), "the recovery", () -> posted.size() == 3);
        assertTrue(posted.get(2).contains("recovered"), posted.get(2));
        alerts.runFailed(sync, failed);
        Poll.until(Duration.ofSeconds(10), "a new failure alerted again", () -> posted.size() == 4);
        assertEquals(4, posted.size());

        // PagerDuty: trigger, trigger again as the reminder (one incident: the same dedup key), resolve, trigger.
        Poll.until(Duration.ofSeconds(10), "four PagerDuty events", () -> pagerDuty.size() == 4);
        assertEquals(List.of("trigger", "trigger", "resolve", "trigger"), pagerDuty.stream().map(b -> json(b).path("event_action").asText()).toList());
        for (final String body : pagerDuty) {
            assertEquals("R0UT1NG", json(body).path("routing_key").asText());
            assertEquals("persona-sync-profiles", json(body).path("dedup_key").asText());
        }
        final JsonNode trigger = json(pagerDuty.get(0)).path("payload");
        assertEquals("error", trigger.path("severity").asText());
        assertEquals("i1", trigger.path("source").asText());
        assertTrue(trigger.path("summary").asText().contains("cannot connect"), trigger.toString());
        assertEquals(101, json(pagerDuty.get(1)).path("payload").path("custom_details").path("failures").asInt());

        // The generic webhook: one JSON event per state change.
        Poll.until(Duration.ofSeconds(10), "four generic events", () -> generic.size() == 4);
        assertEquals(List.of("sync.failing", "sync.still_failing", "sync.recovered", "sync.failing"),
                generic.stream().map(b -> json(b).path("event").asText()).toList());
        final JsonNode recovered = json(generic.get(2));
        assertEquals("customers", recovered.path("collection").asText());
        assertEquals(101, recovered.path("failures").asInt());
        assertTrue(recovered.path("error").isNull(), recovered.toString());
        assertEquals("2026-12-02T10:00:00Z", recovered.path("since").asText());
    }
}
