package dev.persona.ingest.query;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Run versions only grow, whatever happens to the state topic. */
class SyncStateTest {
    @Test
    void shouldVersionARunAtLeastByItsStartTimeAndAboveTheLastRun() {
        final SyncState lost = new SyncState();
        assertEquals(1_800_000_000_000L, lost.nextVersion(1_800_000_000_000L), "a lost state starts from the clock, not from 1");
        final SyncState counted = new SyncState();
        counted.lastRun = 5;
        assertEquals(1_800_000_000_000L, counted.nextVersion(1_800_000_000_000L), "older run counters are overtaken");
        final SyncState ahead = new SyncState();
        ahead.lastRun = 1_800_000_000_500L;
        assertEquals(1_800_000_000_501L, ahead.nextVersion(1_800_000_000_000L), "a clock behind the last run still grows");
    }
}
