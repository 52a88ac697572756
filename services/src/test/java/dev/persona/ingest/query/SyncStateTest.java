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

    @Test
    void shouldReadBackAHashAndReadAnEarlierBuildsDigestAsMatchingNoRow() {
        assertEquals(-7_213_654_321_987L, SyncState.hashOf(SyncState.hashValue(-7_213_654_321_987L)));
        // Earlier builds stored 32 hex digits of a SHA-256: read, they are some number, and never fail the load.
        assertEquals(0x0123456789abcdefL, SyncState.hashOf("0123456789abcdef0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        assertEquals(0, SyncState.hashOf("not hex at all, and long enough".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    }
}
