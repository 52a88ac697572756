package dev.persona.topology;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StoredRecordTest {
    @Test
    void shouldKeepTheRecordJsonAsASliceAndTheRevisionInTheHeader() {
        final byte[] body = "{\"user_id\":\"1\",\"a\":2}".getBytes(StandardCharsets.UTF_8);
        final Map<String, RecordMeta.FieldProvenance> fields = new LinkedHashMap<>();
        fields.put("a", new RecordMeta.FieldProvenance("s", 3L, 99L));
        final RecordMeta meta = new RecordMeta(7, 99, fields, Map.of("s", new RecordMeta.SyncPosition(3L, 99L)));
        final byte[] stored = StoredRecord.encode(body, meta);
        assertTrue(StoredRecord.isPresent(stored));
        assertEquals(body.length, StoredRecord.bodyLength(stored));
        assertArrayEquals(body, java.util.Arrays.copyOfRange(stored, StoredRecord.BODY_OFFSET, StoredRecord.BODY_OFFSET + body.length));
        assertEquals(7, StoredRecord.revision(stored));
        assertEquals(99, StoredRecord.updatedAt(stored));
        assertEquals(meta, StoredRecord.meta(stored));
    }

    @Test
    void shouldTreatAnEmptyBodyAsAnAbsentRecordAndRejectForeignBytes() {
        final byte[] ghost = StoredRecord.encode(new byte[0], new RecordMeta(1, 1, Map.of(), Map.of()));
        assertFalse(StoredRecord.isPresent(ghost));
        assertFalse(StoredRecord.isPresent(null));
        assertThrows(IllegalArgumentException.class, () -> StoredRecord.bodyLength(new byte[]{'{', '}'}));
    }

    @Test
    void shouldShareOneProvenanceBetweenTheFieldsOfOneChangeAndKeepVersionlessSyncs() {
        final Map<String, RecordMeta.FieldProvenance> fields = new LinkedHashMap<>();
        final RecordMeta.FieldProvenance profiles = new RecordMeta.FieldProvenance("profiles", 42L, 1_700_000_000_000L);
        for (int i = 0; i < 20; i++) {
            fields.put("field_" + i, profiles);
        }
        fields.put("usage_count", new RecordMeta.FieldProvenance("usage", null, 5_000L));
        final Map<String, RecordMeta.SyncPosition> syncs = new LinkedHashMap<>();
        syncs.put("profiles", new RecordMeta.SyncPosition(42L, 1_700_000_000_000L));
        syncs.put("usage", new RecordMeta.SyncPosition(null, 5_000L));
        final RecordMeta meta = new RecordMeta(3, 1_700_000_000_000L, fields, syncs);
        final byte[] body = "{\"user_id\":\"1\"}".getBytes(StandardCharsets.UTF_8);

        final byte[] stored = StoredRecord.encode(body, meta);

        assertEquals(meta, StoredRecord.meta(stored));
        assertEquals(List.copyOf(fields.keySet()), List.copyOf(StoredRecord.meta(stored).fields().keySet()), "fields keep their order");
        final int metaBytes = stored.length - StoredRecord.BODY_OFFSET - body.length;
        assertTrue(metaBytes < 21 * 16 + 2 * 40 + 2 * 40, "the provenance of the 20 fields of one change is written once: " + metaBytes + " bytes");
    }

    @Test
    void shouldStillReadRecordsStoredWithJsonMetadata() throws Exception {
        final byte[] body = "{\"user_id\":\"1\",\"a\":2}".getBytes(StandardCharsets.UTF_8);
        final Map<String, RecordMeta.FieldProvenance> fields = new LinkedHashMap<>();
        fields.put("a", new RecordMeta.FieldProvenance("s", null, 99L));
        final RecordMeta meta = new RecordMeta(7, 99, fields, Map.of("s", new RecordMeta.SyncPosition(null, 99L)));
        final byte[] json = Json.mapper().writeValueAsBytes(meta);
        final byte[] formatTwo = ByteBuffer.allocate(StoredRecord.BODY_OFFSET + body.length + json.length)
                .put((byte) 2).putLong(7).putLong(99).putInt(body.length).put(body).put(json).array();

        assertTrue(StoredRecord.isPresent(formatTwo));
        assertEquals(7, StoredRecord.revision(formatTwo));
        assertArrayEquals(body, StoredRecord.body(formatTwo));
        assertEquals(meta, StoredRecord.meta(formatTwo));
    }
}
