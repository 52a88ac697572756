package dev.persona.topology;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class IndexTopologyTest {
    private static final String CONFIG = """
            collections:
              - name: customers
                primaryIndex: user_id
                secondaryIndices: [{ name: email, caseInsensitive: true }, anonymous_id]
                partitions: 2
                maxIndexClaims: 3
            syncs:
              - id: profiles
                collection: customers
                source: { type: cdc, connection: "jdbc:postgresql://localhost/test", table: public.profiles }
                primaryKey: id
                mapping: [ { from: name }, { from: email }, { from: anonymous_id } ]
                onDelete: delete_record
              - id: tracking
                collection: customers
                source: { type: cdc, connection: "jdbc:postgresql://localhost/test", table: public.tracking }
                primaryKey: id
                mapping: [ { from: visits } ]
                onDelete: clear_fields
            """;

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> profiles;
    private KeyValueStore<String, byte[]> index;

    @BeforeEach
    void start() {
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).parse(Path.of("index.yaml"), CONFIG);
        final StreamsBuilder builder = new StreamsBuilder();
        PersonaTopology.build(builder, config);
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "index-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(builder.build(), props);
        profiles = driver.createInputTopic(new TopicNames(config.kafka()).syncTopic("customers", "profiles"), new ByteArraySerializer(), new ByteArraySerializer());
        index = driver.getKeyValueStore(TopicNames.indexStore("customers"));
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private void upsert(final String key, final String row, final long ts) {
        profiles.pipeInput(key.getBytes(StandardCharsets.UTF_8),
                ("{\"op\":\"upsert\",\"row\":" + row + ",\"ts\":" + ts + "}").getBytes(StandardCharsets.UTF_8));
    }

    private void delete(final String key, final long ts) {
        profiles.pipeInput(key.getBytes(StandardCharsets.UTF_8), ("{\"op\":\"delete\",\"ts\":" + ts + "}").getBytes(StandardCharsets.UTF_8));
    }

    private Optional<String> owner(final String indexName, final String value) {
        return IndexEntry.winner(IndexEntry.claims(index.get(IndexEntry.key(indexName, value))));
    }

    @Test
    void shouldIndexAddedValuesAndFoldCaseWhereTheIndexSaysSo() {
        upsert("1", "{\"id\":\"1\",\"email\":\"Ann@Example.com\",\"anonymous_id\":\"AnonA\"}", 10);
        assertEquals(Optional.of("1"), owner("email", "ann@example.com"));
        assertEquals(Optional.of("1"), owner("anonymous_id", "AnonA"));
        assertEquals(Optional.empty(), owner("anonymous_id", "anona"), "anonymous_id matches exactly");
    }

    @Test
    void shouldMoveTheEntryWhenTheValueChangesAndDropItWhenClearedOrDeleted() {
        upsert("1", "{\"id\":\"1\",\"email\":\"a@x.com\",\"anonymous_id\":\"anon1\"}", 10);
        upsert("1", "{\"id\":\"1\",\"email\":\"b@x.com\"}", 20);
        assertNull(index.get(IndexEntry.key("email", "a@x.com")), "the old value is gone");
        assertEquals(Optional.of("1"), owner("email", "b@x.com"));
        upsert("1", "{\"id\":\"1\",\"email\":null}", 30);
        assertNull(index.get(IndexEntry.key("email", "b@x.com")), "a null value is not indexed");
        assertEquals(Optional.of("1"), owner("anonymous_id", "anon1"));
        delete("1", 40);
        assertNull(index.get(IndexEntry.key("anonymous_id", "anon1")), "a deleted record leaves every index");
    }

    @Test
    void shouldLetTheMostRecentClaimWinAndFallBackWhenTheWinnerLetsGo() {
        upsert("1", "{\"id\":\"1\",\"email\":\"shared@x.com\"}", 10);
        upsert("2", "{\"id\":\"2\",\"email\":\"SHARED@x.com\"}", 20);
        assertEquals(Optional.of("2"), owner("email", "shared@x.com"), "the most recent change wins");
        assertEquals(Map.of("1", 10L, "2", 20L), IndexEntry.claims(index.get(IndexEntry.key("email", "shared@x.com"))));
        upsert("2", "{\"id\":\"2\",\"email\":\"own@x.com\"}", 30);
        assertEquals(Optional.of("1"), owner("email", "shared@x.com"), "the value falls back to the other claimant");
        upsert("1", "{\"id\":\"1\",\"name\":\"unrelated change\"}", 40);
        assertEquals(Optional.of("1"), owner("email", "shared@x.com"), "changes of other fields leave the index alone");
        final double conflicts = driver.metrics().entrySet().stream()
                .filter(e -> e.getKey().name().equals("persona-index-conflicts-total"))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum();
        assertEquals(1.0, conflicts, "the conflict is counted");
    }

    @Test
    void shouldRememberAtMostMaxIndexClaimsPerValueForgettingTheOldest() {
        for (int id = 1; id <= 5; id++) {
            upsert(Integer.toString(id), "{\"id\":\"" + id + "\",\"email\":\"placeholder@x.com\"}", 10L * id);
        }
        assertEquals(Map.of("3", 30L, "4", 40L, "5", 50L), IndexEntry.claims(index.get(IndexEntry.key("email", "placeholder@x.com"))),
                "the three newest claims are kept");
        assertEquals(Optional.of("5"), owner("email", "placeholder@x.com"));
    }

    private double conflicts() {
        return driver.metrics().entrySet().stream().filter(e -> e.getKey().name().equals("persona-index-conflicts-total"))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum();
    }

    /**
     * At start, a partition whose records were never claimed in the configuration's indices (here: none yet, as on a
     * first start or an upgrade) claims them all once; claims the index holds already change nothing, and no
     * conflict is counted.
     */
    @Test
    void shouldClaimStoredRecordsOnceWithoutChangingClaimsTheIndexHolds() {
        upsert("1", "{\"id\":\"1\",\"email\":\"shared@x.com\"}", 10);
        upsert("2", "{\"id\":\"2\",\"email\":\"shared@x.com\",\"anonymous_id\":\"anon2\"}", 20);
        final Map<String, Long> before = IndexEntry.claims(index.get(IndexEntry.key("email", "shared@x.com")));
        final double conflictsBefore = conflicts();
        driver.advanceWallClockTime(java.time.Duration.ofSeconds(1));
        assertEquals(before, IndexEntry.claims(index.get(IndexEntry.key("email", "shared@x.com"))), "the claims keep their times");
        assertEquals(Optional.of("2"), owner("email", "shared@x.com"));
        assertEquals(conflictsBefore, conflicts(), "claiming again is no conflict");
        final KeyValueStore<String, byte[]> purges = driver.getKeyValueStore(TopicNames.purgeStore("customers"));
        assertEquals("anonymous_id\nemail", new String(purges.get("~indexed"), StandardCharsets.UTF_8), "the claimed indices are recorded");
    }

    /** Records stored before an index existed (written into the store here, as a restart with a new index finds them). */
    @Test
    void shouldClaimTheValuesOfStoredRecordsInAnIndexTheyWereNeverClaimedIn() {
        upsert("1", "{\"id\":\"1\",\"email\":\"one@x.com\",\"anonymous_id\":\"anon1\"}", 10);
        driver.advanceWallClockTime(java.time.Duration.ofSeconds(1));
        final KeyValueStore<String, byte[]> records = driver.getKeyValueStore(TopicNames.recordStore("customers"));
        final byte[] stored = records.get("1");
        driver.close();
        // A second start: the record is stored, the index store knows nothing of anonymous_id, the purge store says
        // the records were claimed in email alone.
        start();
        final KeyValueStore<String, byte[]> restarted = driver.getKeyValueStore(TopicNames.recordStore("customers"));
        restarted.put("1", stored);
        final KeyValueStore<String, byte[]> marker = driver.getKeyValueStore(TopicNames.purgeStore("customers"));
        marker.put("~indexed", "email".getBytes(StandardCharsets.UTF_8));
        index.put(IndexEntry.key("email", "one@x.com"), IndexEntry.encode(Map.of("1", 10L)));
        assertEquals(Optional.empty(), owner("anonymous_id", "anon1"));
        driver.advanceWallClockTime(java.time.Duration.ofSeconds(1));
        assertEquals(Optional.of("1"), owner("anonymous_id", "anon1"), "the stored record claimed its value in the new index");
        assertEquals(Map.of("1", 10L), IndexEntry.claims(index.get(IndexEntry.key("anonymous_id", "anon1"))), "claimed when the field took its value");
        assertEquals(0.0, conflicts());
        final KeyValueStore<String, byte[]> purges = driver.getKeyValueStore(TopicNames.purgeStore("customers"));
        assertEquals("anonymous_id\nemail", new String(purges.get("~indexed"), StandardCharsets.UTF_8));
    }

    /** A partition larger than one pass of the scan: every record is reached, each exactly once. */
    @Test
    void shouldClaimEveryStoredRecordOverSeveralPasses() {
        final KeyValueStore<String, byte[]> records = driver.getKeyValueStore(TopicNames.recordStore("customers"));
        final int count = 25_003;
        for (int i = 0; i < count; i++) {
            final String key = "k" + i;
            final byte[] body = ("{\"user_id\":\"" + key + "\",\"anonymous_id\":\"anon-" + i + "\"}").getBytes(StandardCharsets.UTF_8);
            records.put(key, StoredRecord.encode(body, new RecordMeta(1, 100, Map.of("anonymous_id", new RecordMeta.FieldProvenance("profiles", 1L, 100)),
                    Map.of())));
        }
        for (int pass = 0; pass < 4; pass++) {
            driver.advanceWallClockTime(java.time.Duration.ofSeconds(1));
        }
        for (int i = 0; i < count; i++) {
            assertEquals(Map.of("k" + i, 100L), IndexEntry.claims(index.get(IndexEntry.key("anonymous_id", "anon-" + i))), "record k" + i);
        }
        assertEquals(0.0, conflicts());
    }
}
