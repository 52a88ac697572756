package dev.persona.topology;

import dev.persona.config.PersonaConfig;
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
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Child rows nested into their parent: inserts add an element, updates replace it, deletes (carrying only the
 * child's key) remove it, a child whose parent changes moves, and the array stays ordered and at most {@code limit}
 * long, the next child filling in when one leaves.
 */
class NestTopologyTest {
    private static final String CONFIG = """
            collections:
              - { name: customers, primaryIndex: user_id, partitions: 1 }
            syncs:
              - id: profiles
                collection: customers
                source: { type: topic, topic: profiles, copartitioned: true }
                primaryKey: id
                mapping: [ { from: name } ]
              - id: orders
                collection: customers
                source: { type: topic, topic: orders }
                primaryKey: order_id
                mapping: [ { from: total }, { from: created_at } ]
                nest: { into: orders, parentKey: customer_id, orderBy: created_at desc, limit: 3 }
            """;

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> profiles;
    private TestInputTopic<byte[], byte[]> orders;
    private KeyValueStore<String, byte[]> records;

    @BeforeEach
    void start() {
        final PersonaConfig config = TopologyDrivers.config(CONFIG);
        driver = TopologyDrivers.start(config, "nest-test", stateDir, Instant.ofEpochMilli(0));
        profiles = driver.createInputTopic("profiles", new ByteArraySerializer(), new ByteArraySerializer());
        orders = driver.createInputTopic("orders", new ByteArraySerializer(), new ByteArraySerializer());
        records = driver.getKeyValueStore(TopicNames.recordStore("customers"));
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private static byte[] utf8(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private void order(final String id, final String customer, final int total, final String createdAt) {
        orders.pipeInput(utf8(id), utf8("{\"op\":\"upsert\",\"row\":{\"order_id\":\"" + id + "\",\"customer_id\":\"" + customer
                + "\",\"total\":" + total + ",\"created_at\":\"" + createdAt + "\"}}"));
    }

    private String record(final String key) {
        final byte[] stored = records.get(key);
        return stored == null || !StoredRecord.isPresent(stored) ? null : new String(StoredRecord.body(stored), StandardCharsets.UTF_8);
    }

    @Test
    void shouldAddReplaceRemoveAndMoveChildrenInTheirParentsArrays() {
        profiles.pipeInput(utf8("c1"), utf8("{\"op\":\"upsert\",\"row\":{\"id\":\"c1\",\"name\":\"Ann\"}}"));
        order("o1", "c1", 10, "2026-12-01T10:00:00Z");
        order("o2", "c1", 20, "2026-12-02T10:00:00Z");
        assertEquals("{\"user_id\":\"c1\",\"name\":\"Ann\",\"orders\":[{\"order_id\":\"o2\",\"total\":20,\"created_at\":\"2026-12-02T10:00:00Z\"},"
                + "{\"order_id\":\"o1\",\"total\":10,\"created_at\":\"2026-12-01T10:00:00Z\"}]}", record("c1"), "newest first");

        order("o1", "c1", 15, "2026-12-01T10:00:00Z");
        assertEquals("{\"user_id\":\"c1\",\"name\":\"Ann\",\"orders\":[{\"order_id\":\"o2\",\"total\":20,\"created_at\":\"2026-12-02T10:00:00Z\"},"
                + "{\"order_id\":\"o1\",\"total\":15,\"created_at\":\"2026-12-01T10:00:00Z\"}]}", record("c1"), "an update replaces its element");

        orders.pipeInput(utf8("o2"), (byte[]) null);
        assertEquals("{\"user_id\":\"c1\",\"name\":\"Ann\",\"orders\":[{\"order_id\":\"o1\",\"total\":15,\"created_at\":\"2026-12-01T10:00:00Z\"}]}",
                record("c1"), "a delete that names only the child removes it");

        order("o1", "c2", 15, "2026-12-01T10:00:00Z");
        assertEquals("{\"user_id\":\"c1\",\"name\":\"Ann\"}", record("c1"), "a child that moved leaves its old parent; no child, no array");
        assertEquals("{\"user_id\":\"c2\",\"orders\":[{\"order_id\":\"o1\",\"total\":15,\"created_at\":\"2026-12-01T10:00:00Z\"}]}", record("c2"));

        orders.pipeInput(utf8("o1"), (byte[]) null);
        assertNull(record("c2"), "a parent made only of its children goes with the last of them");
    }

    @Test
    void shouldKeepTheArrayAtItsLimitWithTheNextChildFillingIn() {
        for (int day = 1; day <= 5; day++) {
            order("d" + day, "c3", day, "2026-12-0" + day + "T00:00:00Z");
        }
        assertEquals("[\"d5\",\"d4\",\"d3\"]", ids(record("c3")), "the three newest of five");
        orders.pipeInput(utf8("d5"), (byte[]) null);
        assertEquals("[\"d4\",\"d3\",\"d2\"]", ids(record("c3")), "the next one fills in");
    }

    private void versioned(final String id, final String customer, final long version) {
        orders.pipeInput(utf8(id), utf8("{\"op\":\"upsert\",\"version\":" + version + ",\"row\":{\"order_id\":\"" + id
                + "\",\"customer_id\":\"" + customer + "\",\"total\":1,\"created_at\":\"2026-12-01T00:00:00Z\"}}"));
    }

    private Long arrayVersion(final String key) {
        final RecordMeta.FieldProvenance field = StoredRecord.meta(records.get(key)).fields().get("orders");
        return field == null ? null : field.version();
    }

    @Test
    void shouldGiveTheArrayTheHighestVersionOfItsChildrenThatNeverGoesBack() {
        versioned("v1", "c5", 50);
        versioned("v2", "c5", 30);
        assertEquals(50L, arrayVersion("c5"), "a sibling's older row does not take the array back");
        assertEquals("[\"v1\",\"v2\"]", ids(record("c5")), "yet it is in the array (equal times: by key)");
        orders.pipeInput(utf8("v1"), utf8("{\"op\":\"delete\",\"version\":60,\"row\":{\"order_id\":\"v1\"}}"));
        orders.pipeInput(utf8("v2"), utf8("{\"op\":\"delete\",\"version\":61,\"row\":{\"order_id\":\"v2\"}}"));
        assertNull(record("c5"), "no child left");
        versioned("v3", "c5", 40);
        assertEquals("[\"v3\"]", ids(record("c5")), "a new child with a lower version of its own is not taken for older than the removal");
        assertEquals(61L, arrayVersion("c5"));
    }

    @Test
    void shouldForgetAPurgedParentsChildrenAndTombstoneTheirRows() throws Exception {
        final PersonaConfig config = TopologyDrivers.config(CONFIG);
        final TopicNames names = new TopicNames(config.kafka());
        final TestInputTopic<String, byte[]> purges = driver.createInputTopic(names.purges("customers"),
                new org.apache.kafka.common.serialization.StringSerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer());
        final org.apache.kafka.streams.TestOutputTopic<String, byte[]> replayed = driver.createOutputTopic(
                names.replay(config.syncs().get(1)), new org.apache.kafka.common.serialization.StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer());
        final KeyValueStore<String, byte[]> children = driver.getKeyValueStore("nest-customers-orders");
        profiles.pipeInput(utf8("c6"), utf8("{\"op\":\"upsert\",\"row\":{\"id\":\"c6\",\"name\":\"Eve\"}}"));
        order("p1", "c6", 10, "2026-12-01T10:00:00Z");
        order("p2", "c6", 20, "2026-12-02T10:00:00Z");
        order("q1", "c7", 30, "2026-12-02T10:00:00Z");

        purges.pipeInput("c6", utf8("{\"at\":\"2026-12-03T00:00:00Z\"}"));

        assertNull(record("c6"));
        assertNull(children.get("c6"), "the children's data is forgotten with the parent");
        final java.util.List<org.apache.kafka.streams.test.TestRecord<String, byte[]>> tombstones = replayed.readRecordsToList();
        assertEquals(java.util.Set.of("p1", "p2"), tombstones.stream().map(org.apache.kafka.streams.test.TestRecord::key)
                .collect(java.util.stream.Collectors.toSet()), "a tombstone for each child's row, so that compaction removes them");
        tombstones.forEach(t -> {
            assertNull(t.value());
            assertEquals(1, t.headers().lastHeader(Purges.HEADER).value()[0], "marked as a purge's, which the topology skips");
        });
        assertEquals("[\"q1\"]", ids(record("c7")), "another parent keeps its children");

        order("p1", "c6", 11, "2026-12-01T10:00:00Z");
        assertNull(record("c6"), "a child its source still holds does not bring the purged parent back");
        orders.pipeInput(utf8("p1"), (byte[]) null);
        order("p3", "c6", 12, "2026-12-03T10:00:00Z");
        assertEquals("[\"p3\"]", ids(record("c6")), "once the source deleted what it held, a new child is a new array");

        order("r1", "c9", 1, "2026-12-01T10:00:00Z");
        order("r2", "c9", 2, "2026-12-02T10:00:00Z");
        purges.pipeInput("c9", utf8("{\"at\":\"2026-12-03T00:00:00Z\"}"));
        orders.pipeInput(utf8("r2"), (byte[]) null);
        order("r3", "c9", 3, "2026-12-04T10:00:00Z");
        assertEquals("[\"r3\"]", ids(record("c9")), "the source deleting a child it held releases the parent, with nothing held since the purge");
    }

    @Test
    void shouldReadAParentsChildrenStoredBeforeArraysHadAVersion() {
        final KeyValueStore<String, byte[]> children = driver.getKeyValueStore("nest-customers-orders");
        children.put("c8", utf8("{\"x1\":{\"o\":\"2026-01-01T00:00:00Z\",\"v\":3,\"e\":{\"order_id\":\"x1\",\"total\":1,"
                + "\"created_at\":\"2026-01-01T00:00:00Z\"}}}"));
        order("x2", "c8", 2, "2026-01-02T00:00:00Z");
        assertEquals("[\"x2\",\"x1\"]", ids(record("c8")), "the child stored before is kept");
    }

    private static String ids(final String record) {
        try {
            final com.fasterxml.jackson.databind.node.ArrayNode ids = Json.mapper().createArrayNode();
            Json.mapper().readTree(record).path("orders").forEach(o -> ids.add(o.path("order_id")));
            return ids.toString();
        } catch (final java.io.IOException e) {
            throw new AssertionError(record, e);
        }
    }

    @Test
    void shouldKeepABoundedNumberOfChildrenPerParent() throws Exception {
        final int many = 3 + dev.persona.topology.internals.NestAggregatorAccess.spare(3) + 50;
        for (int i = 0; i < many; i++) {
            order(String.format("m%04d", i), "c4", i, String.format("2026-01-01T00:%02d:%02dZ", i / 60, i % 60));
        }
        final KeyValueStore<String, byte[]> children = driver.getKeyValueStore("nest-customers-orders");
        final int kept = Json.mapper().readTree(new String(children.get("c4"), StandardCharsets.UTF_8)).path("c").size();
        assertEquals(3 + dev.persona.topology.internals.NestAggregatorAccess.spare(3), kept, "the lowest-ranked beyond the spares go");
        assertEquals(String.format("[\"m%04d\",\"m%04d\",\"m%04d\"]", many - 1, many - 2, many - 3), ids(record("c4")), "the newest stay shown");
    }
}
