package dev.persona.topology;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MergeTopologyTest {
    private static final String CONFIG = """
            collections:
              - name: customers
                primaryIndex: user_id
                partitions: 3
            syncs:
              - id: profiles
                collection: customers
                source: { type: cdc, connection: "jdbc:postgresql://localhost/test", table: public.profiles }
                primaryKey: id
                mapping:
                  - { from: name, to: full_name }
                  - { from: email }
                  - { template: "{{ ltv | round: 2 }}", to: lifetime_value }
                  - { from: summary, to: 90_day_summary }
                onDelete: delete_record
              - id: usage
                collection: customers
                source: { type: query, connection: "jdbc:duckdb:", sql: "select 1", schedule: every 30s }
                primaryKey: user_id
                mapping: [ { from: num_messages_sent }, { from: last_login_at } ]
                onDelete: clear_fields
              - id: flags
                collection: customers
                source: { type: cdc, connection: "jdbc:postgresql://localhost/test", table: public.flags }
                primaryKey: user_id
                mapping: [ { from: vip }, { template: "{{ tier | upcase }}", to: tier, type: string } ]
                onDelete: ignore
              - id: clicks
                collection: customers
                source: { type: topic, topic: clickstream, format: row }
                primaryKey: user_id
                mapping: [ { from: last_page } ]
              - id: billing
                collection: customers
                source: { type: topic, topic: billing, format: envelope }
                primaryKey: user_id
                mapping: [ { from: plan } ]
                onDelete: clear_fields
              - id: crm
                collection: customers
                source: { type: topic, topic: crm.public.accounts, format: debezium }
                primaryKey: id
                mapping: [ { from: owner } ]
                onDelete: clear_fields
              - id: ledger
                collection: customers
                source: { type: topic, topic: ledger, format: envelope, copartitioned: true }
                primaryKey: user_id
                mapping: [ { from: balance } ]
            """;

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TopicNames names;
    private KeyValueStore<String, byte[]> store;
    private TestOutputTopic<byte[], byte[]> deadLetters;

    @BeforeEach
    void startDriver() {
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).parse(Path.of("test.yaml"), CONFIG);
        names = new TopicNames(config.kafka());
        final StreamsBuilder builder = new StreamsBuilder();
        PersonaTopology.build(builder, config);
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "merge-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(builder.build(), props, Instant.ofEpochMilli(1_000));
        store = driver.getKeyValueStore(TopicNames.recordStore("customers"));
        deadLetters = driver.createOutputTopic(names.deadLetterTopic("customers"), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    private void send(final String topic, final String key, final String value) {
        final TestInputTopic<byte[], byte[]> input = driver.createInputTopic(topic, new ByteArraySerializer(), new ByteArraySerializer());
        input.pipeInput(new TestRecord<>(key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8), Instant.ofEpochMilli(5_000)));
    }

    private void sendSync(final String sync, final String key, final String envelope) {
        send(names.syncTopic("customers", sync), key, envelope);
    }

    private String record(final String key) {
        final byte[] stored = store.get(key);
        return StoredRecord.isPresent(stored) ? new String(StoredRecord.body(stored), StandardCharsets.UTF_8) : null;
    }

    private static JsonNode json(final String text) throws IOException {
        return Json.mapper().readTree(text);
    }

    /** The test driver delivers every record in partition 0. */
    private static String keyInPartition(final boolean zero) {
        for (int i = 0; ; i++) {
            final String key = Integer.toString(i);
            final int partition = KeyPartitions.of(key, 3);
            if ((partition == 0) == zero) {
                return key;
            }
        }
    }

    @Test
    void shouldReadACopartitionedTopicInPlaceWithoutARepartitionTopic() {
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).parse(Path.of("test.yaml"), CONFIG);
        final StreamsBuilder builder = new StreamsBuilder();
        PersonaTopology.build(builder, config);
        final String description = builder.build().describe().toString();
        assertFalse(description.contains("customers-ledger-by-key"), description);
        assertTrue(description.contains("customers-billing-by-key"), description);

        final String key = keyInPartition(true);
        send("ledger", key, "{\"op\":\"upsert\",\"row\":{\"user_id\":" + key + ",\"balance\":12.5}}");
        assertEquals("{\"user_id\":" + key + ",\"balance\":12.5}", record(key));
        assertTrue(deadLetters.isEmpty());
    }

    @Test
    void shouldDeadLetterARowThatArrivedInAnotherPartitionThanItsKeyBelongsTo() {
        final String key = keyInPartition(false);
        send("ledger", key, "{\"op\":\"upsert\",\"row\":{\"user_id\":" + key + ",\"balance\":1}}");
        assertNull(record(key));
        final String reason = header(deadLetters.readRecord(), DeadLetterHeaders.REASON);
        assertTrue(reason.contains("arrived in partition 0 of copartitioned topic 'ledger'") && reason.contains("drop 'copartitioned'"), reason);
    }

    @Test
    void shouldBuildOneRecordFromTwoSyncs() {
        sendSync("profiles", "7", """
                {"op":"upsert","row":{"id":7,"name":"Jane Doe","email":"jane@example.com","ltv":1492.184,"unmapped":"x"},"version":10}""");
        sendSync("usage", "7", """
                {"op":"upsert","row":{"user_id":"7","num_messages_sent":813,"last_login_at":"2026-11-20T10:00:00Z"}}""");
        assertEquals("{\"user_id\":7,\"full_name\":\"Jane Doe\",\"email\":\"jane@example.com\",\"lifetime_value\":1492.18,"
                + "\"num_messages_sent\":813,\"last_login_at\":\"2026-11-20T10:00:00Z\"}", record("7"));
    }

    @Test
    void shouldMeasureFreshnessPerSyncFromTheChangesSourceTime() {
        // The driver's wall clock stands at 1,000 ms: the change happened at 400 ms, so it is merged 600 ms later.
        sendSync("profiles", "7", """
                {"op":"upsert","row":{"id":7,"name":"Jane Doe"},"ts":400}""");
        assertEquals(600.0, metric("persona-freshness-max-ms", "profiles"));
        assertEquals(600.0, metric("persona-freshness-avg-ms", "profiles"));
    }

    private double metric(final String name, final String sync) {
        return driver.metrics().entrySet().stream()
                .filter(e -> e.getKey().name().equals(name) && sync.equals(e.getKey().tags().get("sync")))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).max()
                .orElseThrow(() -> new AssertionError("no metric " + name + " for " + sync + " in " + driver.metrics().keySet()));
    }

    @Test
    void shouldKeepANumericPrimaryKeyWhicheverSyncArrivesFirst() {
        sendSync("usage", "18", "{\"op\":\"upsert\",\"row\":{\"user_id\":\"18\",\"num_messages_sent\":1}}");
        sendSync("profiles", "18", "{\"op\":\"upsert\",\"row\":{\"id\":18,\"name\":\"Ivy\"}}");
        sendSync("usage", "18", "{\"op\":\"upsert\",\"row\":{\"user_id\":\"18\",\"num_messages_sent\":2}}");
        assertEquals("{\"user_id\":18,\"full_name\":\"Ivy\",\"num_messages_sent\":2}", record("18"));
    }

    @Test
    void shouldListFieldsInConfigurationOrderWhateverOrderTheSyncsArriveIn() {
        sendSync("usage", "17", "{\"op\":\"upsert\",\"row\":{\"user_id\":\"17\",\"last_login_at\":\"t\",\"num_messages_sent\":5}}");
        sendSync("profiles", "17", "{\"op\":\"upsert\",\"row\":{\"id\":\"17\",\"email\":\"e\",\"name\":\"Hal\"}}");
        assertEquals("{\"user_id\":\"17\",\"full_name\":\"Hal\",\"email\":\"e\",\"num_messages_sent\":5,\"last_login_at\":\"t\"}", record("17"));
        assertEquals(List.of("full_name", "email", "num_messages_sent", "last_login_at"),
                List.copyOf(StoredRecord.meta(store.get("17")).fields().keySet()));
    }

    @Test
    void shouldKeepNestedJsonValuesAsJsonAndStoreNullColumnsAsNull() throws IOException {
        sendSync("profiles", "8", """
                {"op":"upsert","row":{"id":8,"name":null,"summary":{"num_songs_listened":813,"top_genres":["house","techno"]}}}""");
        final JsonNode record = json(record("8"));
        assertTrue(record.get("full_name").isNull());
        assertEquals(json("{\"num_songs_listened\":813,\"top_genres\":[\"house\",\"techno\"]}"), record.get("90_day_summary"));
        assertFalse(record.has("email"), "a column absent from the row leaves its field unset");
    }

    @Test
    void shouldClearOnlyTheDeletingSyncsFieldsWithClearFields() {
        sendSync("profiles", "1", "{\"op\":\"upsert\",\"row\":{\"id\":\"1\",\"name\":\"Ann\"}}");
        sendSync("usage", "1", "{\"op\":\"upsert\",\"row\":{\"user_id\":\"1\",\"num_messages_sent\":3,\"last_login_at\":\"t\"}}");
        sendSync("usage", "1", "{\"op\":\"delete\",\"row\":{\"user_id\":\"1\"}}");
        assertEquals("{\"user_id\":\"1\",\"full_name\":\"Ann\"}", record("1"));
    }

    @Test
    void shouldRemoveTheWholeRecordWithDeleteRecord() {
        sendSync("profiles", "2", "{\"op\":\"upsert\",\"row\":{\"id\":\"2\",\"name\":\"Bo\"}}");
        sendSync("usage", "2", "{\"op\":\"upsert\",\"row\":{\"user_id\":\"2\",\"num_messages_sent\":3}}");
        sendSync("profiles", "2", "{\"op\":\"delete\",\"row\":{\"id\":\"2\"}}");
        assertNull(record("2"));
        assertNull(store.get("2"), "nothing to remember: no sync carried a version");
    }

    @Test
    void shouldKeepEverythingWithIgnore() {
        sendSync("flags", "3", "{\"op\":\"upsert\",\"row\":{\"user_id\":\"3\",\"vip\":true,\"tier\":\"gold\"}}");
        sendSync("usage", "3", "{\"op\":\"upsert\",\"row\":{\"user_id\":\"3\",\"num_messages_sent\":1}}");
        sendSync("flags", "3", "{\"op\":\"delete\",\"row\":{\"user_id\":\"3\"}}");
        assertEquals("{\"user_id\":\"3\",\"num_messages_sent\":1,\"vip\":true,\"tier\":\"GOLD\"}", record("3"));
    }

    @Test
    void shouldBringARecordBackWhenItIsInsertedAgainAfterADelete() {
        sendSync("profiles", "4", "{\"op\":\"upsert\",\"row\":{\"id\":\"4\",\"name\":\"Cy\"},\"version\":1}");
        sendSync("profiles", "4", "{\"op\":\"delete\",\"row\":{\"id\":\"4\"},\"version\":2}");
        assertNull(record("4"));
        sendSync("profiles", "4", "{\"op\":\"upsert\",\"row\":{\"id\":\"4\",\"name\":\"Cy again\"},\"version\":3}");
        assertEquals("{\"user_id\":\"4\",\"full_name\":\"Cy again\"}", record("4"));
    }

    @Test
    void shouldIgnoreOlderVersionsAndApplyDuplicatesHarmlessly() {
        sendSync("profiles", "5", "{\"op\":\"upsert\",\"row\":{\"id\":\"5\",\"name\":\"v10\"},\"version\":10}");
        sendSync("profiles", "5", "{\"op\":\"upsert\",\"row\":{\"id\":\"5\",\"name\":\"v9\"},\"version\":9}");
        assertEquals("{\"user_id\":\"5\",\"full_name\":\"v10\"}", record("5"));
        final long revision = StoredRecord.meta(store.get("5")).revision();
        sendSync("profiles", "5", "{\"op\":\"upsert\",\"row\":{\"id\":\"5\",\"name\":\"v10\"},\"version\":10}");
        assertEquals("{\"user_id\":\"5\",\"full_name\":\"v10\"}", record("5"));
        assertEquals(revision, StoredRecord.meta(store.get("5")).revision(), "a duplicate does not change the record's revision");
        sendSync("profiles", "5", "{\"op\":\"upsert\",\"row\":{\"id\":\"5\",\"name\":\"v11\"},\"version\":11}");
        assertEquals("{\"user_id\":\"5\",\"full_name\":\"v11\"}", record("5"));
        assertEquals(revision + 1, StoredRecord.meta(store.get("5")).revision());
    }

    @Test
    void shouldNotLetAStaleReplayResurrectADeletedRecord() {
        sendSync("profiles", "6", "{\"op\":\"upsert\",\"row\":{\"id\":\"6\",\"name\":\"Di\"},\"version\":5}");
        sendSync("profiles", "6", "{\"op\":\"delete\",\"row\":{\"id\":\"6\"},\"version\":6}");
        sendSync("profiles", "6", "{\"op\":\"upsert\",\"row\":{\"id\":\"6\",\"name\":\"Di\"},\"version\":5}");
        assertNull(record("6"));
        assertEquals(6L, StoredRecord.meta(store.get("6")).syncs().get("profiles").version(), "the absent record remembers the version");
    }

    @Test
    void shouldDeleteOnATombstone() {
        sendSync("profiles", "9", "{\"op\":\"upsert\",\"row\":{\"id\":\"9\",\"name\":\"Ed\"}}");
        sendSync("profiles", "9", null);
        assertNull(record("9"));
    }

    @Test
    void shouldRecordProvenanceOfEveryField() {
        sendSync("profiles", "10", "{\"op\":\"upsert\",\"row\":{\"id\":\"10\",\"name\":\"Flo\"},\"version\":42,\"ts\":1700000000000}");
        sendSync("usage", "10", "{\"op\":\"upsert\",\"row\":{\"user_id\":\"10\",\"num_messages_sent\":2}}");
        final RecordMeta meta = StoredRecord.meta(store.get("10"));
        assertEquals(new RecordMeta.FieldProvenance("profiles", 42L, 1_700_000_000_000L), meta.fields().get("full_name"));
        assertEquals(new RecordMeta.FieldProvenance("usage", null, 5_000L), meta.fields().get("num_messages_sent"),
                "without ts the record timestamp is the time of the change");
        assertEquals(List.of("full_name", "num_messages_sent"), List.copyOf(meta.fields().keySet()));
        assertEquals(2, meta.revision());
        assertEquals(1_700_000_000_000L, meta.updatedAt());
    }

    @Test
    void shouldReadPlainRowsFromATopicSourceAndDeleteOnTombstones() {
        send("clickstream", "ignored-key", "{\"user_id\":\"11\",\"last_page\":\"/pricing\"}");
        assertEquals("{\"user_id\":\"11\",\"last_page\":\"/pricing\"}", record("11"));
        send("clickstream", "11", null);
        assertNull(record("11"));
    }

    @Test
    void shouldReadEnvelopesFromATopicSource() {
        send("billing", "12", "{\"op\":\"upsert\",\"row\":{\"plan\":\"pro\"}}");
        assertEquals("{\"user_id\":\"12\",\"plan\":\"pro\"}", record("12"));
        send("billing", "12", "{\"op\":\"delete\"}");
        assertNull(record("12"));
    }

    @Test
    void shouldReadDebeziumChangeEventsWithAndWithoutTheSchemaWrapper() {
        send("crm.public.accounts", "{\"id\":13}", """
                {"schema":{"type":"struct"},"payload":{"before":null,"after":{"id":13,"owner":"ann"},"op":"c",
                 "source":{"lsn":100,"ts_ms":1700000000000},"ts_ms":1700000000001}}""");
        assertEquals("{\"user_id\":13,\"owner\":\"ann\"}", record("13"));
        send("crm.public.accounts", "{\"id\":13}", """
                {"before":{"id":13,"owner":"ann"},"after":{"id":13,"owner":"bob"},"op":"u","source":{"lsn":120}}""");
        assertEquals("{\"user_id\":13,\"owner\":\"bob\"}", record("13"));
        send("crm.public.accounts", "{\"id\":13}", """
                {"before":null,"after":{"id":13,"owner":"stale"},"op":"u","source":{"lsn":110}}""");
        assertEquals("{\"user_id\":13,\"owner\":\"bob\"}", record("13"), "an older LSN is ignored");
        send("crm.public.accounts", "{\"id\":13}", """
                {"before":{"id":13},"after":null,"op":"d","source":{"lsn":130}}""");
        send("crm.public.accounts", "{\"id\":13}", null);
        assertNull(record("13"));
        assertTrue(deadLetters.isEmpty(), "the tombstone after a delete is skipped, not dead-lettered");
    }

    @Test
    void shouldSendMalformedRowsToTheDeadLetterTopicAndMergeTheNextRow() {
        sendSync("profiles", "14", "{not json");
        sendSync("profiles", "14", "{\"op\":\"upsert\",\"row\":{\"id\":\"14\",\"name\":\"Gil\"}}");
        final TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
        assertArrayEquals("{not json".getBytes(StandardCharsets.UTF_8), dead.value());
        assertArrayEquals("14".getBytes(StandardCharsets.UTF_8), dead.key());
        assertTrue(header(dead, DeadLetterHeaders.REASON).startsWith("the value is not JSON"), header(dead, DeadLetterHeaders.REASON));
        assertEquals("profiles", header(dead, DeadLetterHeaders.SYNC));
        assertEquals(names.syncTopic("customers", "profiles"), header(dead, DeadLetterHeaders.TOPIC));
        assertEquals("{\"user_id\":\"14\",\"full_name\":\"Gil\"}", record("14"));
    }

    @Test
    void shouldDeadLetterAChangeThatWouldMakeTheRecordTooLargeAndKeepItsLastGoodState() {
        sendSync("profiles", "16", "{\"op\":\"upsert\",\"row\":{\"id\":\"16\",\"name\":\"Hal\"},\"version\":1}");
        sendSync("profiles", "16", "{\"op\":\"upsert\",\"row\":{\"id\":\"16\",\"name\":\"" + "x".repeat(1_100_000) + "\"},\"version\":2}");
        final TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
        assertArrayEquals("16".getBytes(StandardCharsets.UTF_8), dead.key());
        assertNull(dead.value(), "the payload is what was wrong: it is not copied");
        assertTrue(header(dead, DeadLetterHeaders.REASON).contains("above kafka.maxRecordBytes (1000000)"), header(dead, DeadLetterHeaders.REASON));
        assertEquals("profiles", header(dead, DeadLetterHeaders.SYNC));
        assertEquals("2", header(dead, DeadLetterHeaders.VERSION));
        assertEquals("{\"user_id\":\"16\",\"full_name\":\"Hal\"}", record("16"));
        sendSync("profiles", "16", "{\"op\":\"upsert\",\"row\":{\"id\":\"16\",\"name\":\"Hal 3\"},\"version\":3}");
        assertEquals("{\"user_id\":\"16\",\"full_name\":\"Hal 3\"}", record("16"), "the next change that fits is merged");
        assertTrue(deadLetters.isEmpty());
    }

    @Test
    void shouldDeadLetterATopicRowTooLargeToRepartitionWithoutItsPayload() {
        send("clickstream", "17", "{\"user_id\":\"17\",\"last_page\":\"" + "/p".repeat(600_000) + "\"}");
        send("clickstream", "18", "{\"user_id\":\"18\",\"last_page\":\"/home\"}");
        final TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
        assertArrayEquals("17".getBytes(StandardCharsets.UTF_8), dead.key());
        assertNull(dead.value(), "a payload above kafka.maxRecordBytes could not be dead-lettered itself");
        assertTrue(header(dead, DeadLetterHeaders.REASON).contains("above kafka.maxRecordBytes (1000000)"), header(dead, DeadLetterHeaders.REASON));
        assertEquals("{\"user_id\":\"18\",\"last_page\":\"/home\"}", record("18"), "the next row goes on");
    }

    @Test
    void shouldDeadLetterRowsWithoutAPrimaryKeyOrWithABadEnvelope() {
        send("clickstream", null, "{\"last_page\":\"/\"}");
        sendSync("usage", "15", "{\"op\":\"merge\",\"row\":{}}");
        sendSync("usage", "15", "{\"op\":\"upsert\",\"row\":{},\"version\":\"abc\"}");
        assertEquals("no primary key: the row has no 'user_id' column and the message has no key",
                header(deadLetters.readRecord(), DeadLetterHeaders.REASON));
        assertEquals("'op' is \"merge\": it must be \"upsert\" or \"delete\"", header(deadLetters.readRecord(), DeadLetterHeaders.REASON));
        assertEquals("'version' must be a whole number, found \"abc\"", header(deadLetters.readRecord(), DeadLetterHeaders.REASON));
        assertTrue(deadLetters.isEmpty());
    }

    @Test
    void shouldRenderLiquidTemplatesAndTypeTheirOutput() throws IOException {
        sendSync("profiles", "16", "{\"op\":\"upsert\",\"row\":{\"id\":\"16\",\"ltv\":10.456}}");
        sendSync("flags", "16", "{\"op\":\"upsert\",\"row\":{\"user_id\":\"16\",\"tier\":\"42\"}}");
        final JsonNode record = json(record("16"));
        assertTrue(record.get("lifetime_value").isNumber(), "auto-typed: a number");
        assertEquals(10.46, record.get("lifetime_value").asDouble());
        assertEquals("42", record.get("tier").asText());
        assertTrue(record.get("tier").isTextual(), "type: string keeps digits as text");
    }

    private static String header(final TestRecord<byte[], byte[]> record, final String name) {
        final Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
