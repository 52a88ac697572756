package dev.persona.ingest.query;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.topology.Json;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** The run diff is pure: rows and hashes in, upserts, deletes and the unchanged count out. */
class RunDiffTest {
    private static ObjectNode row(final int id, final String name) {
        return Json.mapper().createObjectNode().put("id", id).put("name", name);
    }

    private static Map<String, ObjectNode> rows(final ObjectNode... rows) {
        final Map<String, ObjectNode> byKey = new LinkedHashMap<>();
        for (final ObjectNode row : rows) {
            byKey.put(row.get("id").asText(), row);
        }
        return byKey;
    }

    @Test
    void shouldSendNewAndChangedRowsDeleteRowsThatLeftAndCountTheRest() {
        final Map<String, String> previous = Map.of("1", RunDiff.hash(row(1, "Ann")), "2", RunDiff.hash(row(2, "Bob")),
                "3", RunDiff.hash(row(3, "Cy")));
        final RunDiff diff = RunDiff.of(previous, rows(row(1, "Ann"), row(2, "Bobby"), row(4, "Dee")), false);
        assertEquals(List.of("2", "4"), diff.upserts().stream().map(RunDiff.Upsert::key).toList());
        assertEquals(RunDiff.hash(row(2, "Bobby")), diff.upserts().get(0).hash());
        assertEquals(List.of("3"), diff.deletes());
        assertEquals(1, diff.unchanged());
    }

    @Test
    void shouldSendEveryRowOfAFullRunButStillDeleteWhatLeft() {
        final Map<String, String> previous = Map.of("1", RunDiff.hash(row(1, "Ann")), "9", RunDiff.hash(row(9, "Gone")));
        final RunDiff diff = RunDiff.of(previous, rows(row(1, "Ann"), row(2, "Bob")), true);
        assertEquals(List.of("1", "2"), diff.upserts().stream().map(RunDiff.Upsert::key).toList());
        assertEquals(List.of("9"), diff.deletes());
        assertEquals(0, diff.unchanged());
    }

    @Test
    void shouldTreatEveryRowAsNewWhenThereIsNoPreviousRun() {
        final RunDiff diff = RunDiff.of(Map.of(), rows(row(1, "Ann"), row(2, "Bob")), false);
        assertEquals(2, diff.upserts().size());
        assertEquals(List.of(), diff.deletes());
    }

    @Test
    void shouldHashByContentSoAnyColumnChangeCounts() {
        assertEquals(RunDiff.hash(row(1, "Ann")), RunDiff.hash(row(1, "Ann")));
        assertNotEquals(RunDiff.hash(row(1, "Ann")), RunDiff.hash(row(1, "Ann ")));
        assertNotEquals(RunDiff.hash(row(1, "Ann")), RunDiff.hash(row(1, "Ann").put("tier", (String) null)));
    }
}
