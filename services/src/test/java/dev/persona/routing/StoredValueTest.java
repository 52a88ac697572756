package dev.persona.routing;

import dev.persona.topology.RecordMeta;
import dev.persona.topology.StoredRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertSame;

class StoredValueTest {

    @Test
    void aRecordWithoutFieldsReadsAsAbsentAndEveryOtherAnswerAsItself() {
        final StoredValue unavailable = new StoredValue.Unavailable(UnavailableReason.MOVED, "x");
        assertSame(unavailable, unavailable.asRecord());
        assertSame(StoredValue.NOT_HERE, StoredValue.NOT_HERE.asRecord());
        assertSame(StoredValue.ABSENT, StoredValue.ABSENT.asRecord());
        final RecordMeta meta = new RecordMeta(1, 0, Map.of(), Map.of());
        final StoredValue present = new StoredValue.Found(StoredRecord.encode("{\"a\":1}".getBytes(StandardCharsets.UTF_8), meta));
        assertSame(present, present.asRecord());
        assertSame(StoredValue.ABSENT, new StoredValue.Found(StoredRecord.encode(new byte[0], meta)).asRecord(),
                "a deleted record that remembers versions is a 404, not an empty record");
    }
}
