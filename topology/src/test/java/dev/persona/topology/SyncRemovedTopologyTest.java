package dev.persona.topology;

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
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A sync removed from a collection takes what it wrote with it: a partition whose records hold writes of a sync the
 * configuration no longer has removes them (fields, positions, index values), as that sync's delete with
 * {@code clear_fields} would, and records the syncs it now merges. The stored state is written into the stores here,
 * as a topology version copied from one that had the sync finds it.
 */
class SyncRemovedTopologyTest {
    private static final String CONFIG = """
            collections:
              - name: customers
                primaryIndex: user_id
                secondaryIndices: [email]
                partitions: 1
            syncs:
              - id: profiles
                collection: customers
                source: { type: cdc, connection: "jdbc:postgresql://localhost/test", table: public.profiles }
                primaryKey: id
                mapping: [ { from: name }, { from: email } ]
                onDelete: delete_record
            """;

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;

    @BeforeEach
    void start() {
        driver = TopologyDrivers.start(TopologyDrivers.config(CONFIG), "sync-removed-test", stateDir, Instant.ofEpochMilli(1_000));
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private static byte[] record(final String body, final Map<String, String> writers, final Set<String> syncs) {
        final Map<String, RecordMeta.FieldProvenance> fields = new java.util.LinkedHashMap<>();
        writers.forEach((field, sync) -> fields.put(field, new RecordMeta.FieldProvenance(sync, 1L, 100)));
        final Map<String, RecordMeta.SyncPosition> positions = new java.util.LinkedHashMap<>();
        syncs.forEach(sync -> positions.put(sync, new RecordMeta.SyncPosition(1L, 100)));
        return StoredRecord.encode(body.getBytes(StandardCharsets.UTF_8), new RecordMeta(3, 100, fields, positions));
    }

    @Test
    void shouldRemoveWhatARemovedSyncWroteFromEveryStoredRecord() {
        final KeyValueStore<String, byte[]> records = driver.getKeyValueStore(TopicNames.recordStore("customers"));
        final KeyValueStore<String, byte[]> books = driver.getKeyValueStore(TopicNames.purgeStore("customers"));
        final KeyValueStore<String, byte[]> index = driver.getKeyValueStore(TopicNames.indexStore("customers"));
        // Record 1: its email was written by billing (which owned it before profiles did), its name by profiles.
        records.put("1", record("{\"user_id\":\"1\",\"name\":\"One\",\"email\":\"one@x.com\"}", Map.of("name", "profiles", "email", "billing"),
                Set.of("profiles", "billing")));
        records.put("2", record("{\"user_id\":\"2\",\"email\":\"two@x.com\"}", Map.of("email", "billing"), Set.of("billing")));
        records.put("3", record("{\"user_id\":\"3\",\"name\":\"Three\"}", Map.of("name", "profiles"), Set.of("profiles")));
        final byte[] untouched = records.get("3");
        index.put(IndexEntry.key("email", "one@x.com"), IndexEntry.encode(Map.of("1", 100L)));
        index.put(IndexEntry.key("email", "two@x.com"), IndexEntry.encode(Map.of("2", 100L)));
        books.put("~syncs", "billing\nprofiles".getBytes(StandardCharsets.UTF_8));

        driver.advanceWallClockTime(Duration.ofSeconds(1));

        final byte[] one = records.get("1");
        assertEquals("{\"user_id\":\"1\",\"name\":\"One\"}", new String(StoredRecord.body(one), StandardCharsets.UTF_8));
        assertEquals(Set.of("profiles"), StoredRecord.meta(one).syncs().keySet(), "the removed sync's position goes too");
        assertEquals(Set.of("name"), StoredRecord.meta(one).fields().keySet());
        assertEquals(4, StoredRecord.revision(one), "a changed record gets a new revision (ETag)");
        assertNull(records.get("2"), "a record only the removed sync wrote is gone");
        assertEquals(new String(untouched, StandardCharsets.ISO_8859_1), new String(records.get("3"), StandardCharsets.ISO_8859_1),
                "a record the removed sync never wrote is left as it is");
        assertEquals(Map.of(), IndexEntry.claims(index.get(IndexEntry.key("email", "one@x.com"))), "its index values are let go of");
        assertEquals(Map.of(), IndexEntry.claims(index.get(IndexEntry.key("email", "two@x.com"))));
        assertEquals("profiles", new String(books.get("~syncs"), StandardCharsets.UTF_8), "the syncs it now merges are recorded");
    }

    @Test
    void shouldRecordItsSyncsWithoutAScanWhenItNeverRecordedAny() {
        final KeyValueStore<String, byte[]> records = driver.getKeyValueStore(TopicNames.recordStore("customers"));
        final KeyValueStore<String, byte[]> books = driver.getKeyValueStore(TopicNames.purgeStore("customers"));
        final byte[] stored = record("{\"user_id\":\"1\",\"email\":\"one@x.com\"}", Map.of("email", "billing"), Set.of("billing"));
        records.put("1", stored);
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        assertEquals(new String(stored, StandardCharsets.ISO_8859_1), new String(records.get("1"), StandardCharsets.ISO_8859_1),
                "a partition made before its syncs were recorded does not guess which were removed");
        assertEquals("profiles", new String(books.get("~syncs"), StandardCharsets.UTF_8));
    }
}
