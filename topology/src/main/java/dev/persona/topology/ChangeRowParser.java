package dev.persona.topology;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.config.ValueFormat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Reads one Kafka record of a sync's source topic into a {@link ChangeRow}, in one of the three value formats.
 * The key is the message key for the envelope (falling back to the row's primary-key column), and the row's
 * primary-key column for plain rows and Debezium events (falling back to the message key).
 */
public abstract sealed class ChangeRowParser {
    private static final ObjectMapper MAPPER = Json.mapper();

    final String primaryKey;

    private ChangeRowParser(final String primaryKey) {
        this.primaryKey = primaryKey;
    }

    /** A parser for the given format, reading keys from the given primary-key column. */
    public static ChangeRowParser of(final ValueFormat format, final String primaryKey) {
        return switch (format) {
            case ENVELOPE -> new Envelope(primaryKey);
            case ROW -> new PlainRow(primaryKey);
            case DEBEZIUM -> new Debezium(primaryKey);
        };
    }

    /** A parser of Persona's envelope. */
    public static ChangeRowParser envelope(final String primaryKey) {
        return new Envelope(primaryKey);
    }

    /**
     * Parses one record.
     *
     * @return the change row, or empty for a record that carries no change (a Debezium tombstone)
     * @throws MalformedRowException with the reason, when the record cannot be used
     */
    public abstract Optional<ChangeRow> parse(byte[] key, byte[] value);

    static JsonNode readJson(final byte[] value) {
        try {
            final JsonNode node = MAPPER.readTree(value);
            if (node == null || node.isMissingNode()) {
                throw new MalformedRowException("the value is empty");
            }
            return node;
        } catch (final JsonProcessingException e) {
            throw new MalformedRowException("the value is not JSON: " + e.getOriginalMessage());
        } catch (final IOException e) {
            throw new MalformedRowException("the value cannot be read: " + e.getMessage());
        }
    }

    static String messageKey(final byte[] key) {
        if (key == null || key.length == 0) {
            return null;
        }
        return new String(key, StandardCharsets.UTF_8);
    }

    String keyOf(final ObjectNode row) {
        if (row == null) {
            return null;
        }
        final JsonNode value = row.get(primaryKey);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isValueNode()) {
            throw new MalformedRowException("primary key column '" + primaryKey + "' holds " + value.getNodeType().name().toLowerCase()
                    + ", not a single value");
        }
        final String key = value.asText();
        return key.isEmpty() ? null : key;
    }

    String requireKey(final String key) {
        if (key == null) {
            throw new MalformedRowException("no primary key: the row has no '" + primaryKey + "' column and the message has no key");
        }
        return key;
    }

    static Long longField(final JsonNode parent, final String field) {
        final JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return node.asLong();
        }
        if (node.isTextual()) {
            try {
                return Long.parseLong(node.asText());
            } catch (final NumberFormatException e) {
                // reported below
            }
        }
        throw new MalformedRowException("'" + field + "' must be a whole number, found " + node);
    }

    private static final class Envelope extends ChangeRowParser {
        Envelope(final String primaryKey) {
            super(primaryKey);
        }

        @Override
        public Optional<ChangeRow> parse(final byte[] key, final byte[] value) {
            if (value == null) {
                final String messageKey = messageKey(key);
                if (messageKey == null) {
                    throw new MalformedRowException("no primary key: a tombstone without a message key");
                }
                return Optional.of(ChangeRow.delete(messageKey, null, null, null));
            }
            final JsonNode node = readJson(value);
            if (!node.isObject()) {
                throw new MalformedRowException("the envelope must be a JSON object, found " + node.getNodeType().name().toLowerCase());
            }
            final JsonNode rowNode = node.get("row");
            if (rowNode != null && !rowNode.isNull() && !rowNode.isObject()) {
                throw new MalformedRowException("'row' must be a JSON object of columns");
            }
            final ObjectNode row = rowNode == null || rowNode.isNull() ? null : (ObjectNode) rowNode;
            final JsonNode op = node.get("op");
            final Long version = longField(node, "version");
            final Long ts = longField(node, "ts");
            final String messageKey = messageKey(key);
            final String rowKey = messageKey != null ? messageKey : requireKey(keyOf(row));
            if (op == null || !op.isTextual()) {
                throw new MalformedRowException("'op' is missing: it must be \"upsert\" or \"delete\"");
            }
            return switch (op.asText()) {
                case "upsert" -> {
                    if (row == null) {
                        throw new MalformedRowException("an upsert needs a 'row' object");
                    }
                    yield Optional.of(ChangeRow.upsert(rowKey, row, version, ts));
                }
                case "delete" -> Optional.of(ChangeRow.delete(rowKey, row, version, ts));
                default -> throw new MalformedRowException("'op' is \"" + op.asText() + "\": it must be \"upsert\" or \"delete\"");
            };
        }
    }

    private static final class PlainRow extends ChangeRowParser {
        PlainRow(final String primaryKey) {
            super(primaryKey);
        }

        @Override
        public Optional<ChangeRow> parse(final byte[] key, final byte[] value) {
            if (value == null) {
                return Optional.of(ChangeRow.delete(requireKey(messageKey(key)), null, null, null));
            }
            final JsonNode node = readJson(value);
            if (!node.isObject()) {
                throw new MalformedRowException("a row must be a JSON object, found " + node.getNodeType().name().toLowerCase());
            }
            final ObjectNode row = (ObjectNode) node;
            final String rowKey = keyOf(row);
            return Optional.of(ChangeRow.upsert(requireKey(rowKey != null ? rowKey : messageKey(key)), row, null, null));
        }
    }

    /**
     * A binary log position as a number that only grows: the file's sequence number (binlog.000042 is 42) in the top
     * bits, the position in it (below 2^32: a binary log file is at most 1 GiB) and the row within its event below.
     *
     * @return null when the event names no binary log position
     */
    static Long binlogVersion(final JsonNode source) {
        final String file = source.path("file").asText("");
        final JsonNode pos = source.get("pos");
        final int dot = file.lastIndexOf('.');
        if (dot < 0 || pos == null || !pos.canConvertToLong()) {
            return null;
        }
        try {
            final long sequence = Long.parseLong(file.substring(dot + 1));
            final long row = Math.min(255, Math.max(0, source.path("row").asLong(0)));
            return (sequence << 40) | (pos.asLong() << 8) | row;
        } catch (final NumberFormatException e) {
            return null;
        }
    }

    /**
     * Debezium's JSON change events ({@code before}, {@code after}, {@code op}, {@code source}), with or without
     * the {@code schema}/{@code payload} wrapper. Tombstones after deletes carry nothing new and are skipped.
     * The version is the source LSN when the connector has one (PostgreSQL), else the binary log position (MySQL,
     * MariaDB: {@link #binlogVersion}).
     */
    private static final class Debezium extends ChangeRowParser {
        Debezium(final String primaryKey) {
            super(primaryKey);
        }

        @Override
        public Optional<ChangeRow> parse(final byte[] key, final byte[] value) {
            if (value == null) {
                return Optional.empty();
            }
            JsonNode event = readJson(value);
            if (event.isObject() && event.has("payload") && event.has("schema")) {
                event = event.get("payload");
            }
            if (!event.isObject() || !event.has("op")) {
                throw new MalformedRowException("not a Debezium change event: no 'op' field");
            }
            final JsonNode source = event.path("source");
            final Long version = !source.isObject() ? null : source.has("lsn") ? longField(source, "lsn") : binlogVersion(source);
            final Long ts = event.has("ts_ms") ? longField(event, "ts_ms") : source.isObject() ? longField(source, "ts_ms") : null;
            final String op = event.get("op").asText();
            return switch (op) {
                case "c", "r", "u" -> {
                    final ObjectNode after = objectOrNull(event.get("after"), "after");
                    if (after == null) {
                        throw new MalformedRowException("Debezium event with op '" + op + "' has no 'after' image");
                    }
                    yield Optional.of(ChangeRow.upsert(key(after, key), after, version, ts));
                }
                case "d" -> {
                    final ObjectNode before = objectOrNull(event.get("before"), "before");
                    yield Optional.of(ChangeRow.delete(key(before, key), before, version, ts));
                }
                case "t", "m" -> Optional.empty();
                default -> throw new MalformedRowException("Debezium event has unknown op '" + op + "'");
            };
        }

        private String key(final ObjectNode image, final byte[] key) {
            final String fromImage = keyOf(image);
            if (fromImage != null) {
                return fromImage;
            }
            if (key != null && key.length > 0) {
                JsonNode keyNode = readJson(key);
                if (keyNode.isObject() && keyNode.has("payload")) {
                    keyNode = keyNode.get("payload");
                }
                if (keyNode.isObject()) {
                    return requireKey(keyOf((ObjectNode) keyNode));
                }
                if (keyNode.isValueNode()) {
                    return keyNode.asText();
                }
            }
            return requireKey(null);
        }

        private static ObjectNode objectOrNull(final JsonNode node, final String name) {
            if (node == null || node.isNull()) {
                return null;
            }
            if (!node.isObject()) {
                throw new MalformedRowException("Debezium '" + name + "' must be an object");
            }
            return (ObjectNode) node;
        }
    }
}
