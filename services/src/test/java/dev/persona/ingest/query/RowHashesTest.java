package dev.persona.ingest.query;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The compact table of a query sync's previous run: a hash per key, and which keys a run still holds. */
class RowHashesTest {
    @Test
    void shouldFindWhatWasPutAndNothingElse() {
        final RowHashes hashes = new RowHashes();
        hashes.put("1", 11);
        hashes.put("é", 22);
        assertEquals(11, hashes.hash(hashes.find("1")));
        assertEquals(22, hashes.hash(hashes.find("é")));
        assertEquals(-1, hashes.find("2"));
        assertEquals(-1, hashes.find("e"));
        assertEquals(2, hashes.size());
    }

    @Test
    void shouldListAndThenRemoveTheKeysARunDidNotMark() {
        final RowHashes hashes = new RowHashes();
        hashes.put("kept", 1);
        hashes.put("changed", 2);
        hashes.put("gone", 3);
        hashes.startRun();
        hashes.keep(hashes.find("kept"));
        hashes.put("changed", 20);
        hashes.put("new", 4);
        assertTrue(hashes.markedThisRun(hashes.find("new")));
        final List<String> unmarked = new ArrayList<>();
        hashes.forEachUnmarked(unmarked::add);
        assertEquals(List.of("gone"), unmarked);
        hashes.removeUnmarked();
        assertEquals(-1, hashes.find("gone"));
        assertEquals(20, hashes.hash(hashes.find("changed")));
        assertEquals(3, hashes.size());

        hashes.startRun();
        assertFalse(hashes.markedThisRun(hashes.find("kept")), "a new run starts with nothing marked");
    }

    @Test
    void shouldBringARemovedKeyBackWithItsNewHash() {
        final RowHashes hashes = new RowHashes();
        hashes.put("1", 1);
        hashes.remove("1");
        assertEquals(-1, hashes.find("1"));
        assertEquals(0, hashes.size());
        hashes.put("1", 5);
        assertEquals(5, hashes.hash(hashes.find("1")));
        assertEquals(1, hashes.size());
    }

    @Test
    void shouldHoldManyKeysAcrossBlocksPagesAndResizes() {
        final RowHashes hashes = new RowHashes();
        final int keys = 300_000;
        for (int i = 0; i < keys; i++) {
            hashes.put("customer-" + i, i * 31L);
        }
        hashes.put("x".repeat(2_000_000), 7);
        for (int i = 0; i < keys; i++) {
            assertEquals(i * 31L, hashes.hash(hashes.find("customer-" + i)), "customer-" + i);
        }
        assertEquals(7, hashes.hash(hashes.find("x".repeat(2_000_000))));
        assertEquals(keys + 1, hashes.size());
    }

    @Test
    void shouldNotGrowWithEveryKeyAModelEverHeld() {
        final RowHashes hashes = new RowHashes();
        // A model whose 1,000 keys are all new every run (a rolling window of sessions), for 200 runs.
        for (int run = 0; run < 200; run++) {
            hashes.startRun();
            for (int i = 0; i < 1_000; i++) {
                hashes.put("session-" + run + "-" + i, i);
            }
            hashes.removeUnmarked();
            assertEquals(1_000, hashes.size());
        }
        assertTrue(hashes.entries() <= 1_000 + 2 * (1 << 14), "entries kept: " + hashes.entries());
        assertEquals(999, hashes.hash(hashes.find("session-199-999")));
        assertEquals(-1, hashes.find("session-198-999"));
    }
}
