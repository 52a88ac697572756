package dev.persona.topology;

import dev.persona.config.PersonaConfig;
import dev.persona.topology.internals.RecordMerger;
import dev.persona.topology.internals.RowMapper;
import org.apache.kafka.common.serialization.ByteArraySerializer;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code include: "*"}: every column, minus exclusions and other syncs' fields; and fields a mapping no longer writes. */
class IncludeAllTopologyTest {
    private static final String CONFIG = """
            collections:
              - name: customers
                primaryIndex: user_id
                partitions: 1
            syncs:
              - id: warehouse
                collection: customers
                source: { type: topic, topic: warehouse, format: envelope }
                primaryKey: id
                mapping:
                  - { from: name, to: full_name }
                  - include: "*"
                    exclude: [ssn]
                onDelete: clear_fields
              - id: usage
                collection: customers
                source: { type: topic, topic: usage, format: envelope }
                primaryKey: user_id
                mapping: [ { from: num_messages_sent } ]
            """;

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private KeyValueStore<String, byte[]> store;

    private static PersonaConfig config(final String yaml) {
        return TopologyDrivers.config(yaml);
    }

    @BeforeEach
    void startDriver() {
        driver = TopologyDrivers.start(config(CONFIG), "include-test", stateDir, Instant.ofEpochMilli(1_000));
        store = driver.getKeyValueStore(TopicNames.recordStore("customers"));
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    private void send(final String topic, final String key, final String envelope) {
        driver.createInputTopic(topic, new ByteArraySerializer(), new ByteArraySerializer())
                .pipeInput(new TestRecord<>(key.getBytes(StandardCharsets.UTF_8), envelope.getBytes(StandardCharsets.UTF_8)));
    }

    private String record(final String key) {
        final byte[] stored = store.get(key);
        return StoredRecord.isPresent(stored) ? new String(StoredRecord.body(stored), StandardCharsets.UTF_8) : null;
    }

    @Test
    void shouldCopyEveryColumnButTheExcludedTheKeyTheRenamedAndAnotherSyncsField() {
        send("usage", "7", "{\"op\":\"upsert\",\"row\":{\"user_id\":\"7\",\"num_messages_sent\":3}}");
        send("warehouse", "7", """
                {"op":"upsert","row":{"id":7,"name":"Jane","email":"jane@example.com","ssn":"123-45-6789","plan":"pro","num_messages_sent":99}}""");
        assertEquals("{\"user_id\":7,\"full_name\":\"Jane\",\"num_messages_sent\":3,\"email\":\"jane@example.com\",\"plan\":\"pro\"}", record("7"));
    }

    @Test
    void shouldTakeANewColumnWithoutAConfigurationChange() {
        send("warehouse", "7", "{\"op\":\"upsert\",\"row\":{\"id\":7,\"name\":\"Jane\",\"plan\":\"pro\"}}");
        send("warehouse", "7", "{\"op\":\"upsert\",\"row\":{\"id\":7,\"name\":\"Jane\",\"plan\":\"pro\",\"tier\":\"gold\"}}");
        assertTrue(record("7").contains("\"tier\":\"gold\""), record("7"));
    }

    @Test
    void shouldClearEveryFieldTheSyncWroteOnDeleteAndKeepTheOthers() {
        send("usage", "7", "{\"op\":\"upsert\",\"row\":{\"user_id\":\"7\",\"num_messages_sent\":3}}");
        send("warehouse", "7", "{\"op\":\"upsert\",\"row\":{\"id\":7,\"name\":\"Jane\",\"plan\":\"pro\",\"tier\":\"gold\"}}");
        send("warehouse", "7", "{\"op\":\"delete\",\"row\":{\"id\":7}}");
        assertEquals("{\"user_id\":7,\"num_messages_sent\":3}", record("7"), "the number key stays: the numeric spelling wins");
    }

    @Test
    void shouldRemoveAFieldDroppedFromTheMappingWhenItsRowChangesNext() throws IOException {
        final String before = """
                collections: [ { name: customers, primaryIndex: user_id, partitions: 1 } ]
                syncs:
                  - id: warehouse
                    collection: customers
                    source: { type: topic, topic: warehouse, format: envelope }
                    primaryKey: id
                    mapping: [ { from: name, to: full_name }, { from: plan }, { from: phone } ]
                """;
        final PersonaConfig old = config(before);
        final PersonaConfig now = config(before.replace(", { from: plan }", "").replace("{ from: phone }", "{ include: \"*\", exclude: [phone] }"));
        final ChangeRow row = ChangeRowParser.envelope("id").parse("7".getBytes(StandardCharsets.UTF_8),
                "{\"op\":\"upsert\",\"row\":{\"id\":7,\"name\":\"Jane\",\"plan\":\"pro\",\"phone\":\"555\"}}"
                        .getBytes(StandardCharsets.UTF_8)).orElseThrow();
        final RecordMerger.Result first = new RecordMerger(old.collections().get(0), old.syncs())
                .merge("7", null, new RowMapper(old.syncs().get(0)).map(row, 1_000));
        assertEquals("{\"user_id\":7,\"full_name\":\"Jane\",\"plan\":\"pro\",\"phone\":\"555\"}", first.after().toString());
        // The resync after the change: phone is excluded now (removed); plan comes back through include: "*".
        final RecordMerger.Result resynced = new RecordMerger(now.collections().get(0), now.syncs())
                .merge("7", first.stored(), new RowMapper(now.syncs().get(0)).map(row, 2_000));
        assertEquals("{\"user_id\":7,\"full_name\":\"Jane\",\"plan\":\"pro\"}", resynced.after().toString());
    }
}
