package dev.persona.topology;

import dev.persona.config.PersonaConfig;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A topic sync's resync: rows copied to its replay topic are read like the topic's own, through the repartition
 * when the topic is not copartitioned, and a copy older than what its sync last applied to the record is not applied.
 */
class ReplayTopologyTest {
    private static final String CONFIG = """
            collections:
              - { name: customers, primaryIndex: user_id, partitions: 2 }
            syncs:
              - id: traits
                collection: customers
                source: { type: topic, topic: traits }
                primaryKey: id
                mapping: [ { from: name } ]
              - id: scores
                collection: customers
                source: { type: topic, topic: scores, copartitioned: true }
                primaryKey: id
                mapping: [ { from: score } ]
            """;

    @TempDir
    Path stateDir;

    private PersonaConfig config;
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> traits;
    private TestInputTopic<byte[], byte[]> traitsReplay;
    private TestInputTopic<byte[], byte[]> scoresReplay;
    private KeyValueStore<String, byte[]> records;

    @BeforeEach
    void start() {
        config = TopologyDrivers.config(CONFIG);
        driver = TopologyDrivers.start(config, "replay-test", stateDir, Instant.ofEpochMilli(0));
        final TopicNames names = new TopicNames(config.kafka());
        traits = driver.createInputTopic("traits", new ByteArraySerializer(), new ByteArraySerializer());
        traitsReplay = driver.createInputTopic(names.replay(config.sync("traits").orElseThrow()), new ByteArraySerializer(), new ByteArraySerializer());
        scoresReplay = driver.createInputTopic(names.replay(config.sync("scores").orElseThrow()), new ByteArraySerializer(), new ByteArraySerializer());
        records = driver.getKeyValueStore(TopicNames.recordStore("customers"));
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private static byte[] row(final String key, final String field, final String value) {
        return ("{\"op\":\"upsert\",\"row\":{\"id\":\"" + key + "\",\"" + field + "\":" + value + "}}").getBytes(StandardCharsets.UTF_8);
    }

    private static TestRecord<byte[], byte[]> replayed(final String key, final byte[] value, final long timestamp) {
        final RecordHeaders headers = new RecordHeaders();
        headers.add(Replays.HEADER, new byte[] {1});
        return new TestRecord<>(key.getBytes(StandardCharsets.UTF_8), value, headers, timestamp);
    }

    private static TestRecord<byte[], byte[]> live(final String key, final byte[] value, final long timestamp) {
        return new TestRecord<>(key.getBytes(StandardCharsets.UTF_8), value, new RecordHeaders(), timestamp);
    }

    private String record(final String key) {
        final byte[] stored = records.get(key);
        return stored == null ? null : new String(StoredRecord.body(stored), StandardCharsets.UTF_8);
    }

    @Test
    void shouldApplyRowsReadAgainThroughTheReplayTopic() {
        traitsReplay.pipeInput(replayed("a", row("a", "name", "\"Ann\""), 1_000));
        scoresReplay.pipeInput(replayed("a", row("a", "score", "3"), 1_000));
        assertEquals("{\"user_id\":\"a\",\"name\":\"Ann\",\"score\":3}", record("a"), "repartitioned and copartitioned alike");
    }

    @Test
    void shouldNotLetACopyUndoALiveChangeThatOvertookIt() {
        traits.pipeInput(live("b", row("b", "name", "\"Bea\""), 1_000));
        traits.pipeInput(live("b", row("b", "name", "\"Bea live\""), 3_000));
        traitsReplay.pipeInput(replayed("b", row("b", "name", "\"Bea\""), 1_000));
        assertEquals("{\"user_id\":\"b\",\"name\":\"Bea live\"}", record("b"), "the copy of the older row comes after the live change");
        traitsReplay.pipeInput(replayed("b", row("b", "name", "\"Bea live\""), 3_000));
        assertEquals("{\"user_id\":\"b\",\"name\":\"Bea live\"}", record("b"));
    }

    @Test
    void shouldApplyALiveRowEvenWhenItIsOlderThanTheLastOne() {
        traits.pipeInput(live("c", row("c", "name", "\"new\""), 3_000));
        traits.pipeInput(live("c", row("c", "name", "\"skewed clock\""), 2_000));
        assertEquals("{\"user_id\":\"c\",\"name\":\"skewed clock\"}", record("c"), "only copies are judged by time; live rows by order");
    }
}
