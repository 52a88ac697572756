package dev.persona.topology;

import dev.persona.config.PersonaConfig;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
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
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A purge in the topology: the record and its index entries go, and the syncs that wrote it cannot bring it back
 * until each sends a delete of the key; other syncs, and purge tombstones in sync topics, change nothing of that.
 */
class PurgeTopologyTest {
    private static final String CONFIG = """
            collections:
              - { name: customers, primaryIndex: user_id, secondaryIndices: [email], partitions: 1 }
            syncs:
              - id: profiles
                collection: customers
                source: { type: topic, topic: profiles, copartitioned: true }
                primaryKey: id
                mapping: [ { from: email }, { from: name } ]
                onDelete: delete_record
              - id: plans
                collection: customers
                source: { type: topic, topic: plans, copartitioned: true }
                primaryKey: id
                mapping: [ { from: plan } ]
                onDelete: clear_fields
              - id: late
                collection: customers
                source: { type: topic, topic: late, copartitioned: true }
                primaryKey: id
                mapping: [ { from: score } ]
                onDelete: clear_fields
            """;

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> profiles;
    private TestInputTopic<byte[], byte[]> plans;
    private TestInputTopic<byte[], byte[]> late;
    private TestInputTopic<String, byte[]> purges;
    private KeyValueStore<String, byte[]> records;
    private KeyValueStore<String, byte[]> index;
    private KeyValueStore<String, byte[]> purgeList;

    @BeforeEach
    void start() {
        final PersonaConfig config = TopologyDrivers.config(CONFIG);
        driver = TopologyDrivers.start(config, "purge-test", stateDir, Instant.ofEpochMilli(0));
        profiles = driver.createInputTopic("profiles", new ByteArraySerializer(), new ByteArraySerializer());
        plans = driver.createInputTopic("plans", new ByteArraySerializer(), new ByteArraySerializer());
        late = driver.createInputTopic("late", new ByteArraySerializer(), new ByteArraySerializer());
        purges = driver.createInputTopic(new TopicNames(config.kafka()).purges("customers"), new StringSerializer(), new ByteArraySerializer());
        records = driver.getKeyValueStore(TopicNames.recordStore("customers"));
        index = driver.getKeyValueStore(TopicNames.indexStore("customers"));
        purgeList = driver.getKeyValueStore(TopicNames.purgeStore("customers"));
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private static void upsert(final TestInputTopic<byte[], byte[]> topic, final String key, final String row) {
        topic.pipeInput(utf8(key), utf8("{\"op\":\"upsert\",\"row\":{\"id\":\"" + key + "\"," + row + "}}"));
    }

    private static void delete(final TestInputTopic<byte[], byte[]> topic, final String key) {
        topic.pipeInput(utf8(key), (byte[]) null);
    }

    private static byte[] utf8(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private void purge(final String key) {
        purges.pipeInput(key, utf8("{\"at\":\"2026-12-03T00:00:00Z\"}"));
    }

    private String record(final String key) {
        final byte[] stored = records.get(key);
        return stored == null || !StoredRecord.isPresent(stored) ? null : new String(StoredRecord.body(stored), StandardCharsets.UTF_8);
    }

    private Optional<String> owner(final String email) {
        return IndexEntry.winner(IndexEntry.claims(index.get(IndexEntry.key("email", email))));
    }

    @Test
    void shouldRemoveTheRecordAndItsIndexEntriesLeavingOnlyAHashOfTheKey() {
        upsert(profiles, "jane", "\"email\":\"jane@example.com\",\"name\":\"Jane\"");
        upsert(plans, "jane", "\"plan\":\"gold\"");
        upsert(profiles, "john", "\"email\":\"john@example.com\",\"name\":\"John\"");
        assertEquals(Optional.of("jane"), owner("jane@example.com"));

        purge("jane");

        assertNull(records.get("jane"), "nothing is stored under the key, not even sync versions");
        assertEquals(Optional.empty(), owner("jane@example.com"));
        assertNull(index.get(IndexEntry.key("email", "jane@example.com")), "the index entry is gone, not just emptied");
        assertNotNull(record("john"), "other records stay");
        try (var all = purgeList.all()) {
            final var entry = all.next();
            assertEquals(Purges.hash("jane"), entry.key, "the purge list knows the key only by its hash");
            assertEquals("plans\nprofiles", new String(entry.value, StandardCharsets.UTF_8), "and the syncs that wrote the record");
            assertFalse(all.hasNext());
        }
    }

    @Test
    void shouldKeepTheSyncsThatWroteTheRecordFromBringingItBackUntilTheirSourceDeletesIt() {
        upsert(profiles, "jane", "\"email\":\"jane@example.com\",\"name\":\"Jane\"");
        upsert(plans, "jane", "\"plan\":\"gold\"");
        purge("jane");

        upsert(profiles, "jane", "\"email\":\"jane@example.com\",\"name\":\"Jane again\"");
        upsert(plans, "jane", "\"plan\":\"gold\"");
        assertNull(record("jane"), "a resync of a source that still holds the row brings nothing back");
        assertEquals(Optional.empty(), owner("jane@example.com"));

        delete(profiles, "jane");
        upsert(profiles, "jane", "\"email\":\"jane.new@example.com\",\"name\":\"Jane, new customer\"");
        assertEquals("{\"user_id\":\"jane\",\"email\":\"jane.new@example.com\",\"name\":\"Jane, new customer\"}", record("jane"),
                "once its source deleted the row, the sync may add the person again");
        upsert(plans, "jane", "\"plan\":\"silver\"");
        assertFalse(record("jane").contains("plan"), "a sync whose source did not delete the row stays kept out: " + record("jane"));

        delete(plans, "jane");
        assertNull(purgeList.get(Purges.hash("jane")), "every sync released: the purge list forgets the key");
        upsert(plans, "jane", "\"plan\":\"silver\"");
        assertTrue(record("jane").contains("\"plan\":\"silver\""));
    }

    @Test
    void shouldLetASyncThatNeverHeldTheRecordAddIt() {
        upsert(profiles, "jane", "\"email\":\"jane@example.com\",\"name\":\"Jane\"");
        purge("jane");
        upsert(late, "jane", "\"score\":7");
        assertEquals("{\"user_id\":\"jane\",\"score\":7}", record("jane"));
    }

    @Test
    void shouldSkipPurgeTombstonesInSyncTopics() {
        upsert(profiles, "jane", "\"email\":\"jane@example.com\",\"name\":\"Jane\"");
        final RecordHeaders headers = new RecordHeaders();
        headers.add(Purges.HEADER, new byte[] {1});
        profiles.pipeInput(new TestRecord<>(utf8("jane"), null, headers));
        assertNotNull(record("jane"), "a purge tombstone is for compaction, not a delete at the source");
    }

    @Test
    void shouldIgnoreTheTombstoneOfAnAppliedPurgeRequest() {
        upsert(profiles, "jane", "\"email\":\"jane@example.com\",\"name\":\"Jane\"");
        purges.pipeInput("jane", (byte[]) null);
        assertNotNull(record("jane"));
    }
}
