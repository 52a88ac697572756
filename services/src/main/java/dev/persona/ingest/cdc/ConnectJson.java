package dev.persona.ingest.cdc;

import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.json.JsonConverterConfig;
import org.apache.kafka.connect.source.SourceRecord;

import java.util.Map;

/**
 * A captured change as JSON text, as Debezium's own {@code Json} format writes it (Kafka Connect's
 * {@link JsonConverter}, without schemas): the engine hands Persona Kafka Connect's {@link SourceRecord}s, so that a
 * record's source offset is read through Connect's API, and this turns their key and value into what
 * {@code ChangeRowParser} reads.
 */
final class ConnectJson {
    private final JsonConverter keys = converter(true);
    private final JsonConverter values = converter(false);

    private static JsonConverter converter(final boolean isKey) {
        final JsonConverter converter = new JsonConverter();
        converter.configure(Map.of(JsonConverterConfig.SCHEMAS_ENABLE_CONFIG, false), isKey);
        return converter;
    }

    /** The record's key as JSON, or null when it has none. */
    byte[] key(final SourceRecord record) {
        return record.key() == null ? null : keys.fromConnectData(record.topic(), record.keySchema(), record.key());
    }

    /** The record's value as JSON, or null for a tombstone. */
    byte[] value(final SourceRecord record) {
        return record.value() == null ? null : values.fromConnectData(record.topic(), record.valueSchema(), record.value());
    }
}
