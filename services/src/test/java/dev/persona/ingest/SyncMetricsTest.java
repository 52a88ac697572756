package dev.persona.ingest;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SyncMetricsTest {
    private static final Clock NOON = Clock.fixed(Instant.parse("2026-12-02T12:00:00Z"), ZoneOffset.UTC);

    @Test
    void shouldGiveTheIntervalOfAnEverySchedule() {
        assertEquals(Duration.ofSeconds(30), SyncMetrics.interval("every 30s", NOON));
        assertEquals(Duration.ofHours(2), SyncMetrics.interval("every 2h", NOON));
    }

    @Test
    void shouldGiveTheGapBetweenTheNextTwoRunsOfACronSchedule() {
        assertEquals(Duration.ofMinutes(15), SyncMetrics.interval("*/15 * * * *", NOON));
        assertEquals(Duration.ofDays(1), SyncMetrics.interval("0 3 * * *", NOON));
    }
}
