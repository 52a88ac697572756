package dev.persona.ingest.cdc;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A captured change as the JSON Debezium's Json format wrote: Connect's converter, no schemas, no envelope of its own. */
class ConnectJsonTest {

    @Test
    void aChangeEventIsItsKeyAndValueAsPlainJson() {
        final Schema row = SchemaBuilder.struct().name("shop.customers.Value")
                .field("id", Schema.INT32_SCHEMA).field("name", Schema.OPTIONAL_STRING_SCHEMA).optional().build();
        final Schema envelope = SchemaBuilder.struct().name("shop.customers.Envelope")
                .field("before", row).field("after", row).field("op", Schema.STRING_SCHEMA).build();
        final Schema key = SchemaBuilder.struct().name("shop.customers.Key").field("id", Schema.INT32_SCHEMA).build();
        final Struct after = new Struct(row).put("id", 7).put("name", "Jane");
        final SourceRecord record = new SourceRecord(Map.of(), Map.of("file", "binlog.000001", "pos", 4L), "persona_shop.customers", null,
                key, new Struct(key).put("id", 7), envelope, new Struct(envelope).put("after", after).put("op", "c"));
        final ConnectJson json = new ConnectJson();
        assertEquals("{\"id\":7}", new String(json.key(record), StandardCharsets.UTF_8));
        assertEquals("{\"before\":null,\"after\":{\"id\":7,\"name\":\"Jane\"},\"op\":\"c\"}", new String(json.value(record), StandardCharsets.UTF_8));
        final SourceRecord tombstone = new SourceRecord(Map.of(), Map.of(), "persona_shop.customers", null, key, new Struct(key).put("id", 7), null, null);
        assertNull(json.value(tombstone));
    }
}
