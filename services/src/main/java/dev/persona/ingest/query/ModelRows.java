package dev.persona.ingest.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.ingest.JdbcTimeouts;
import dev.persona.topology.Json;
import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A SQL model's rows, read one at a time over JDBC, never all at once: each row's primary key, the 64-bit hash a
 * run compares it by, and, only for a row that is sent, the row as a JSON object. Numbers stay numbers, timestamps
 * become ISO-8601 text, JSON columns ({@code to_json(...)} in DuckDB, {@code json}/{@code jsonb} in PostgreSQL)
 * become nested JSON.
 *
 * <p>The hash is taken over the row's values as they will be sent (after the conversions above), the column names
 * and types, so two rows hash alike only when their JSON is alike; computing it builds no JSON, which is what makes
 * an unchanged row cheap (issue 16: a couple of microseconds instead of 26).
 */
final class ModelRows implements AutoCloseable {
    /** How long opening a connection to the warehouse may take. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);
    private static final Logger LOG = LoggerFactory.getLogger(ModelRows.class);
    private static final ObjectMapper MAPPER = Json.mapper();
    private static final XXHash64 XX = XXHashFactory.fastestJavaInstance().hash64();

    /** A JSON column's text: sent as the JSON it holds. */
    private record JsonText(String text) {
    }

    private final Connection db;
    private final Statement statement;
    private final ResultSet result;
    private final String[] labels;
    private final String[] types;
    private final int keyColumn;
    private final String primaryKey;
    private final long seed;
    private final Object[] cells;
    private byte[] buffer = new byte[256];
    private int length;
    private long read;

    private ModelRows(final Connection db, final Statement statement, final ResultSet result, final String primaryKey) throws SQLException {
        this.db = db;
        this.statement = statement;
        this.result = result;
        this.primaryKey = primaryKey;
        final ResultSetMetaData meta = result.getMetaData();
        this.labels = new String[meta.getColumnCount()];
        this.types = new String[labels.length];
        int key = -1;
        for (int c = 0; c < labels.length; c++) {
            labels[c] = meta.getColumnLabel(c + 1);
            types[c] = meta.getColumnTypeName(c + 1) == null ? "" : meta.getColumnTypeName(c + 1).toLowerCase();
            if (labels[c].equals(primaryKey)) {
                key = c;
            }
        }
        if (key < 0) {
            throw new RunFailure("the model has no column '" + primaryKey + "' (the sync's primaryKey)");
        }
        this.keyColumn = key;
        this.cells = new Object[labels.length];
        // The columns are part of every row's hash: a renamed or retyped column changes every row.
        for (int c = 0; c < labels.length; c++) {
            putText(labels[c]);
            putText(types[c]);
        }
        this.seed = XX.hash(buffer, 0, length, 0x5045_5253_4f4e_4131L);
    }

    /**
     * Runs the model.
     *
     * @param running set to the model's statement while it runs, so that a timed-out run can cancel it
     * @throws RunFailure when the model has no column named as the primary key
     */
    static ModelRows open(final String connection, final String sql, final String primaryKey,
                          final AtomicReference<Statement> running, final Duration timeout) throws SQLException {
        // No read may wait longer than the run may take: past its timeout the run's thread would stay blocked in it.
        final Connection db = connect(connection, timeout.plus(Duration.ofSeconds(10)));
        Statement statement = null;
        try {
            statement = db.createStatement();
            // Rows arrive in batches rather than all at once, where the driver knows how (PostgreSQL needs both).
            statement.setFetchSize(1_000);
            if (connection.startsWith("jdbc:postgresql:")) {
                db.setAutoCommit(false);
            }
            running.set(statement);
            return new ModelRows(db, statement, statement.executeQuery(sql), primaryKey);
        } catch (final SQLException | RuntimeException e) {
            closeQuietly(statement, db);
            throw e;
        }
    }

    /**
     * A connection to the warehouse, as a run opens it.
     *
     * @param read how long one read may wait for the warehouse (PostgreSQL, MySQL, MariaDB)
     */
    static Connection connect(final String connection, final Duration read) throws SQLException {
        final Properties properties = new Properties();
        if (connection.startsWith("jdbc:duckdb:")) {
            // Read-only: the warehouse stays writable by its owner (the DuckDB CLI, `persona warehouse`) between runs.
            properties.put("duckdb.read_only", "true");
        }
        return DriverManager.getConnection(connection, JdbcTimeouts.limited(connection, properties, CONNECT_TIMEOUT, read));
    }

    /**
     * Moves to the next row.
     *
     * @return false after the last row
     * @throws RunFailure when the row's primary key is null
     */
    boolean next() throws SQLException {
        if (!result.next()) {
            return false;
        }
        read++;
        for (int c = 0; c < cells.length; c++) {
            cells[c] = cell(result.getObject(c + 1), types[c]);
        }
        if (cells[keyColumn] == null) {
            throw new RunFailure("primary key '" + primaryKey + "' is null in row " + read + "; nothing was applied");
        }
        return true;
    }

    /** The name of the primary key's column. */
    String primaryKey() {
        return primaryKey;
    }

    /** How many rows have been read. */
    long read() {
        return read;
    }

    /** The row's primary key, as text. */
    String key() {
        final Object key = cells[keyColumn];
        return key instanceof JsonText json ? json.text() : key.toString();
    }

    /** The hash of the row as it would be sent. */
    long hash() {
        length = 0;
        for (final Object cell : cells) {
            putCell(cell);
        }
        return XX.hash(buffer, 0, length, seed);
    }

    /** The row as it is sent. */
    ObjectNode row() {
        final ObjectNode row = MAPPER.createObjectNode();
        for (int c = 0; c < cells.length; c++) {
            row.set(labels[c], json(cells[c]));
        }
        return row;
    }

    @Override
    public void close() {
        closeQuietly(statement, db);
    }

    /**
     * A JDBC value as it will be sent: Long, BigInteger, BigDecimal, Double, Boolean, String, Instant (sent as
     * ISO-8601 text in UTC), JsonText or a List of those.
     */
    private static Object cell(final Object value, final String type) throws SQLException {
        if (value == null) {
            return null;
        }
        if (value instanceof Long) {
            return value;
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof BigInteger || value instanceof BigDecimal || value instanceof Boolean || value instanceof String && !isJson(type)) {
            return value;
        }
        if (value instanceof Double || value instanceof Float) {
            return ((Number) value).doubleValue();
        }
        if (value instanceof java.sql.Timestamp timestamp) {
            // Kept as an Instant: hashed from its seconds and nanoseconds, formatted only for a row that is sent.
            return timestamp.toInstant();
        }
        if (value instanceof java.sql.Date date) {
            return date.toLocalDate().toString();
        }
        if (value instanceof OffsetDateTime time) {
            return time.toInstant();
        }
        if (value instanceof TemporalAccessor temporal) {
            return temporal.toString();
        }
        if (value instanceof Array array) {
            final Object[] items = (Object[]) array.getArray();
            final List<Object> cells = new ArrayList<>(items.length);
            for (final Object item : items) {
                cells.add(cell(item, ""));
            }
            return cells;
        }
        return isJson(type) ? new JsonText(value.toString()) : value.toString();
    }

    private static boolean isJson(final String type) {
        return type.equals("json") || type.equals("jsonb");
    }

    private static JsonNode json(final Object cell) {
        if (cell == null) {
            return MAPPER.nullNode();
        }
        if (cell instanceof Long number) {
            return MAPPER.getNodeFactory().numberNode(number.longValue());
        }
        if (cell instanceof BigInteger big) {
            return MAPPER.getNodeFactory().numberNode(big);
        }
        if (cell instanceof BigDecimal decimal) {
            return MAPPER.getNodeFactory().numberNode(decimal);
        }
        if (cell instanceof Double number) {
            return MAPPER.getNodeFactory().numberNode(number.doubleValue());
        }
        if (cell instanceof Boolean bool) {
            return MAPPER.getNodeFactory().booleanNode(bool);
        }
        if (cell instanceof JsonText json) {
            try {
                return MAPPER.readTree(json.text());
            } catch (final IOException e) {
                return MAPPER.getNodeFactory().textNode(json.text());
            }
        }
        if (cell instanceof Instant instant) {
            return MAPPER.getNodeFactory().textNode(instant.toString());
        }
        if (cell instanceof List<?> items) {
            final ArrayNode array = MAPPER.createArrayNode();
            items.forEach(item -> array.add(json(item)));
            return array;
        }
        return MAPPER.getNodeFactory().textNode(cell.toString());
    }

    /** Each cell with a tag for its kind, so that 1, 1.0, "1" and [1] all hash apart, as their JSON differs. */
    private void putCell(final Object cell) {
        if (cell == null) {
            putByte(0);
        } else if (cell instanceof Long number) {
            putByte(1);
            putLong(number);
        } else if (cell instanceof String text) {
            putByte(2);
            putText(text);
        } else if (cell instanceof Double number) {
            putByte(3);
            putLong(Double.doubleToLongBits(number));
        } else if (cell instanceof BigDecimal decimal) {
            putByte(4);
            putText(decimal.toString());
        } else if (cell instanceof BigInteger big) {
            putByte(5);
            putText(big.toString());
        } else if (cell instanceof Boolean bool) {
            putByte(bool ? 6 : 7);
        } else if (cell instanceof JsonText json) {
            putByte(8);
            putText(json.text());
        } else if (cell instanceof Instant instant) {
            // An Instant's text is a function of these two numbers alone.
            putByte(10);
            putLong(instant.getEpochSecond());
            putInt(instant.getNano());
        } else if (cell instanceof List<?> items) {
            putByte(9);
            putLong(items.size());
            items.forEach(this::putCell);
        } else {
            throw new IllegalStateException("no hash for " + cell.getClass());
        }
    }

    private void putText(final String text) {
        ensure(4 + 2 * text.length());
        putInt(text.length());
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            buffer[length++] = (byte) c;
            buffer[length++] = (byte) (c >>> 8);
        }
    }

    private void putByte(final int value) {
        ensure(1);
        buffer[length++] = (byte) value;
    }

    private void putInt(final int value) {
        ensure(4);
        for (int shift = 0; shift < 32; shift += 8) {
            buffer[length++] = (byte) (value >>> shift);
        }
    }

    private void putLong(final long value) {
        ensure(8);
        for (int shift = 0; shift < 64; shift += 8) {
            buffer[length++] = (byte) (value >>> shift);
        }
    }

    private void ensure(final int more) {
        if (length + more > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + more));
        }
    }

    private static void closeQuietly(final Statement statement, final Connection db) {
        try {
            if (statement != null) {
                statement.close();
            }
        } catch (final SQLException e) {
            LOG.debug("Closing the model's statement failed; closing its connection releases it too", e);
        }
        try {
            db.close();
        } catch (final SQLException e) {
            LOG.warn("Closing the model's connection failed: {}", e.getMessage());
        }
    }
}
