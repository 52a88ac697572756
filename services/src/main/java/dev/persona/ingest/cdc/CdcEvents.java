package dev.persona.ingest.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.topology.Json;

import java.io.IOException;

/** What CDC needs to know of a raw Debezium JSON event that the change-row parser does not tell. */
final class CdcEvents {
    private CdcEvents() {
    }

    /** Whether the event is a {@code TRUNCATE} of the table (Debezium's op {@code t}). */
    static boolean isTruncate(final byte[] value) {
        return "t".equals(payload(value).path("op").asText(null));
    }

    /** The event's source LSN, or null where it has none or cannot be read. */
    static Long lsn(final byte[] value) {
        final JsonNode lsn = payload(value).path("source").path("lsn");
        return lsn.canConvertToLong() ? lsn.asLong() : null;
    }

    private static JsonNode payload(final byte[] value) {
        try {
            final JsonNode event = value == null ? Json.mapper().missingNode() : Json.mapper().readTree(value);
            return event.has("payload") && event.has("schema") ? event.get("payload") : event;
        } catch (final IOException e) {
            return Json.mapper().missingNode();
        }
    }
}
