package dev.persona.topology;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
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
}
