package dev.persona.ingest.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.topology.Json;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.TemporalAccessor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a SQL model over JDBC and returns its rows by primary key, as JSON objects. Numbers stay numbers,
 * timestamps become ISO-8601 text, JSON columns ({@code to_json(...)} in DuckDB, {@code json}/{@code jsonb} in
 * PostgreSQL) become nested JSON. A null or repeated primary key fails the whole read.
 */
final class ModelReader {
    private static final ObjectMapper MAPPER = Json.mapper();

    private ModelReader() {
    }

    /**
     * Runs the model.
     *
     * @param running set to the model's statement while it runs, so that a timed-out run can cancel it
     */
    static Map<String, ObjectNode> read(final String connection, final String sql, final String primaryKey,
                                        final AtomicReference<Statement> running) throws SQLException {
        final Properties properties = new Properties();
        if (connection.startsWith("jdbc:duckdb:")) {
            // Read-only: the warehouse stays writable by its owner (the DuckDB CLI, `persona warehouse`) between runs.
            properties.put("duckdb.read_only", "true");
        }
        final Map<String, ObjectNode> rows = new LinkedHashMap<>();
        try (Connection db = DriverManager.getConnection(connection, properties);
             Statement statement = db.createStatement();
             ResultSet result = executed(statement, sql, running)) {
            final ResultSetMetaData meta = result.getMetaData();
            int keyColumn = -1;
            for (int c = 1; c <= meta.getColumnCount(); c++) {
                if (meta.getColumnLabel(c).equals(primaryKey)) {
                    keyColumn = c;
                }
            }
            if (keyColumn < 0) {
                throw new RunFailure("the model has no column '" + primaryKey + "' (the sync's primaryKey)");
            }
            while (result.next()) {
                final ObjectNode row = MAPPER.createObjectNode();
                for (int c = 1; c <= meta.getColumnCount(); c++) {
                    row.set(meta.getColumnLabel(c), value(result.getObject(c), meta.getColumnTypeName(c)));
                }
                final JsonNode key = row.get(primaryKey);
                if (key == null || key.isNull()) {
                    throw new RunFailure("primary key '" + primaryKey + "' is null in row " + (rows.size() + 1) + "; nothing was applied");
                }
                if (rows.put(key.asText(), row) != null) {
                    throw new RunFailure("primary key '" + primaryKey + "' = '" + key.asText() + "' appears twice; the model's primary key must be unique. Nothing was applied");
                }
            }
        }
        return rows;
    }

    private static ResultSet executed(final Statement statement, final String sql, final AtomicReference<Statement> running) throws SQLException {
        running.set(statement);
        return statement.executeQuery(sql);
    }

    private static JsonNode value(final Object value, final String typeName) throws SQLException {
        if (value == null) {
            return MAPPER.nullNode();
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            return MAPPER.getNodeFactory().numberNode(((Number) value).longValue());
        }
        if (value instanceof BigInteger big) {
            return MAPPER.getNodeFactory().numberNode(big);
        }
        if (value instanceof BigDecimal decimal) {
            return MAPPER.getNodeFactory().numberNode(decimal);
        }
        if (value instanceof Double || value instanceof Float) {
            return MAPPER.getNodeFactory().numberNode(((Number) value).doubleValue());
        }
        if (value instanceof Boolean bool) {
            return MAPPER.getNodeFactory().booleanNode(bool);
        }
        if (value instanceof java.sql.Timestamp timestamp) {
            return MAPPER.getNodeFactory().textNode(timestamp.toInstant().toString());
        }
        if (value instanceof java.sql.Date date) {
            return MAPPER.getNodeFactory().textNode(date.toLocalDate().toString());
        }
        if (value instanceof OffsetDateTime time) {
            return MAPPER.getNodeFactory().textNode(time.withOffsetSameInstant(ZoneOffset.UTC).toInstant().toString());
        }
        if (value instanceof TemporalAccessor temporal) {
            return MAPPER.getNodeFactory().textNode(temporal.toString());
        }
        if (value instanceof Array array) {
            final Object[] items = (Object[]) array.getArray();
            final var node = MAPPER.createArrayNode();
            for (final Object item : items) {
                node.add(value(item, ""));
            }
            return node;
        }
        final String text = value.toString();
        final String type = typeName == null ? "" : typeName.toLowerCase();
        if (type.equals("json") || type.equals("jsonb")) {
            try {
                return MAPPER.readTree(text);
            } catch (final IOException e) {
                return MAPPER.getNodeFactory().textNode(text);
            }
        }
        return MAPPER.getNodeFactory().textNode(text);
    }
}
