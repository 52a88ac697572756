package dev.persona.topology;

import dev.persona.config.PersonaConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A collection whose partitions changed reads its own topics, made with the old count, through a repartition step. */
class ResizeTopologyTest {
    private static final String CONFIG = """
            collections:
              - { name: customers, primaryIndex: user_id, secondaryIndices: [email], partitions: 4 }
            syncs:
              - id: profiles
                collection: customers
                source: { type: cdc, connection: "jdbc:postgresql://localhost/test", table: public.profiles }
                primaryKey: user_id
                mapping: [ { from: name }, { from: email } ]
              - id: events
                collection: customers
                source: { type: topic, topic: events }
                primaryKey: user_id
                mapping: [ { from: last_event } ]
              - id: orders
                collection: customers
                source: { type: query, connection: "jdbc:duckdb:", sql: "select * from orders", schedule: every 1m }
                primaryKey: order_id
                mapping: [ { from: total } ]
                nest: { into: orders, parentKey: user_id }
            """;

    @TempDir
    Path stateDir;

    private static Topology topology(final PersonaConfig config, final Map<String, Integer> topicPartitions) {
        final StreamsBuilder builder = new StreamsBuilder();
        PersonaTopology.build(builder, config, new LiveStores(), topicPartitions);
        return builder.build();
    }

    @Test
    void theOwnTopicsOfTheOldCountAreRepartitionedAndTheRestReadInPlace() {
        final PersonaConfig config = TopologyDrivers.config(CONFIG);
        final TopicNames names = new TopicNames(config.kafka());
        final String profiles = names.syncTopic("customers", "profiles");
        final Set<String> repartitions = repartitions(topology(config, Map.of(profiles, 2, names.purges("customers"), 2,
                names.syncTopic("customers", "orders"), 4)).describe());
        assertTrue(repartitions.contains("customers-profiles-resized-repartition"), repartitions.toString());
        assertTrue(repartitions.contains("customers-purge-requests-resized-repartition"), repartitions.toString());
        assertTrue(repartitions.stream().noneMatch(t -> t.startsWith("customers-orders-resized")), "a topic of the collection's count: " + repartitions);
        assertTrue(repartitions(topology(config, Map.of()).describe()).stream().noneMatch(t -> t.contains("-resized")),
                "nothing resized: no step");
    }

    @Test
    void aRowOfATopicOfTheOldCountIsMergedAndIndexed() {
        final PersonaConfig config = TopologyDrivers.config(CONFIG);
        final TopicNames names = new TopicNames(config.kafka());
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "resize-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        try (TopologyTestDriver driver = new TopologyTestDriver(topology(config, Map.of(names.syncTopic("customers", "profiles"), 2,
                names.purges("customers"), 2)), props)) {
            final TestInputTopic<byte[], byte[]> rows = driver.createInputTopic(names.syncTopic("customers", "profiles"), new ByteArraySerializer(),
                    new ByteArraySerializer());
            rows.pipeInput("u1".getBytes(StandardCharsets.UTF_8),
                    "{\"op\":\"upsert\",\"row\":{\"user_id\":\"u1\",\"name\":\"Ann\",\"email\":\"ann@example.com\"},\"ts\":10}".getBytes(StandardCharsets.UTF_8));
            final byte[] stored = driver.<String, byte[]>getKeyValueStore(TopicNames.recordStore("customers")).get("u1");
            assertNotNull(stored, "merged after the repartition step");
            assertTrue(new String(stored, StandardCharsets.UTF_8).contains("Ann"));
            assertNotNull(driver.<String, byte[]>getKeyValueStore(TopicNames.indexStore("customers")).get(IndexEntry.key("email", "ann@example.com")));
            // A purge request, read through its own step, still erases the record.
            driver.createInputTopic(names.purges("customers"), new StringSerializer(), new ByteArraySerializer())
                    .pipeInput("u1", "{}".getBytes(StandardCharsets.UTF_8));
            final byte[] after = driver.<String, byte[]>getKeyValueStore(TopicNames.recordStore("customers")).get("u1");
            assertTrue(after == null || !StoredRecord.isPresent(after), "purged through the step");
        }
    }

    @Test
    void everyStoreAndRepartitionTopicHasItsCollectionsCount() {
        final PersonaConfig config = TopologyDrivers.config(CONFIG);
        final TopicNames names = new TopicNames(config.kafka());
        final TopologyDescription description = topology(config, Map.of(names.syncTopic("customers", "profiles"), 2,
                names.syncTopic("customers", "orders"), 2, names.purges("customers"), 2)).describe();
        final Map<String, Integer> counts = PersonaTopology.partitionCounts(config);
        final Set<String> named = new TreeSet<>(repartitions(description));
        description.subtopologies().forEach(s -> s.nodes().forEach(n -> {
            if (n instanceof TopologyDescription.Processor processor) {
                named.addAll(processor.stores());
            }
        }));
        for (final String name : named) {
            assertEquals(4, counts.get(name), name + " is the collection's: " + counts.keySet());
        }
    }

    @Test
    void aResizedCollectionIsNamedWithItsCountAndAnotherIsNot() {
        final PersonaConfig config = TopologyDrivers.config(CONFIG);
        final TopicNames names = new TopicNames(config.kafka());
        assertEquals("customers=4", PersonaTopology.resized(config, Map.of(names.purges("customers"), 2)),
                "the count the description does not show");
        assertEquals("", PersonaTopology.resized(config, Map.of(names.purges("customers"), 4, names.syncTopic("customers", "profiles"), 4)),
                "own topics of the collection's count: nothing resized");
        assertEquals("", PersonaTopology.resized(config, Map.of("events", 7)), "another team's topic is repartitioned anyway");
    }

    private static Set<String> repartitions(final TopologyDescription description) {
        final Set<String> topics = new TreeSet<>();
        description.subtopologies().forEach(s -> s.nodes().forEach(n -> {
            if (n instanceof TopologyDescription.Source source && source.topicSet() != null) {
                source.topicSet().stream().filter(t -> t.endsWith("-repartition")).forEach(topics::add);
            }
        }));
        return topics;
    }
}
