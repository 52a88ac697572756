package dev.persona.topology;

import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A collection's {@code retention}: records not updated for that long go, and their index entries with them. */
class RetentionTopologyTest {
    private static final long HOUR = Duration.ofHours(1).toMillis();
    private static final String CONFIG = """
            collections:
              - { name: customers, primaryIndex: user_id, secondaryIndices: [email], partitions: 1, retention: 1h }
            syncs:
              - id: profiles
                collection: customers
                source: { type: topic, topic: profiles, format: envelope }
                primaryKey: id
                mapping: [ { from: email } ]
            """;

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> profiles;
    private KeyValueStore<String, byte[]> records;
    private KeyValueStore<String, byte[]> index;

    @BeforeEach
    void start() {
        driver = TopologyDrivers.start(TopologyDrivers.config(CONFIG), "retention-test", stateDir, Instant.ofEpochMilli(0));
        profiles = driver.createInputTopic("profiles",
                new ByteArraySerializer(), new ByteArraySerializer());
        records = driver.getKeyValueStore(TopicNames.recordStore("customers"));
        index = driver.getKeyValueStore(TopicNames.indexStore("customers"));
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private void upsert(final String key, final String email, final long ts) {
        profiles.pipeInput(key.getBytes(StandardCharsets.UTF_8),
                ("{\"op\":\"upsert\",\"row\":{\"id\":\"" + key + "\",\"email\":\"" + email + "\"},\"ts\":" + ts + "}").getBytes(StandardCharsets.UTF_8));
    }

    private Optional<String> owner(final String email) {
        return IndexEntry.winner(IndexEntry.claims(index.get(IndexEntry.key("email", email))));
    }

    @Test
    void shouldExpireRecordsNotUpdatedForTheRetentionWithTheirIndexEntries() {
        upsert("old", "old@example.com", 0);
        upsert("fresh", "fresh@example.com", 0);
        driver.advanceWallClockTime(Duration.ofMinutes(50));
        upsert("fresh", "fresh@example.com", 50 * 60_000L);
        driver.advanceWallClockTime(Duration.ofMinutes(15));

        assertNull(records.get("old"), "not updated for 65 minutes with a retention of an hour");
        assertEquals(Optional.empty(), owner("old@example.com"), "its index entry went with it");
        assertNotNull(records.get("fresh"), "updated 15 minutes ago");
        assertEquals(Optional.of("fresh"), owner("fresh@example.com"));

        driver.advanceWallClockTime(Duration.ofMinutes(50));
        assertNull(records.get("fresh"), "and an hour after its update, it goes too");
        assertEquals(Optional.empty(), owner("fresh@example.com"));
    }

    @Test
    void shouldExpireMoreRecordsThanOneBatchInOnePass() {
        final int count = 10_001; // Expiry.BATCH + 1
        for (int i = 0; i < count; i++) {
            upsert("k" + i, "k" + i + "@example.com", 0);
        }
        driver.advanceWallClockTime(Duration.ofMinutes(62));
        for (final String key : java.util.List.of("k0", "k5000", "k9999", "k10000")) {
            assertNull(records.get(key), key);
        }
        assertEquals(Optional.empty(), owner("k10000@example.com"));
        try (var left = records.all()) {
            assertEquals(false, left.hasNext(), "every record expired in the pass");
        }
    }

    @Test
    void shouldLookForExpiredRecordsOftenEnoughButNotOnEveryTick() {
        assertEquals(Duration.ofSeconds(150), dev.persona.topology.internals.Expiry.interval(Duration.ofHours(1)));
        assertEquals(Duration.ofMinutes(1), dev.persona.topology.internals.Expiry.interval(Duration.ofMinutes(10)));
        assertEquals(Duration.ofHours(1), dev.persona.topology.internals.Expiry.interval(Duration.ofDays(90)));
        assertEquals(Duration.ofMinutes(30), dev.persona.topology.internals.Expiry.interval(Duration.ofHours(12)));
    }
}
