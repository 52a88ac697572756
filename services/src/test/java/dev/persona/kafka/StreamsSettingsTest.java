package dev.persona.kafka;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Persona's Kafka Streams defaults, and the file's kafka.properties winning over them but not over what it needs. */
class StreamsSettingsTest {
    private static PersonaConfig config(final String properties) {
        return ConfigLoader.withEnvironment(Map.of()).parse(Path.of("persona.yaml"), """
                kafka:
                  applicationId: settings
                  properties: { %s }
                collections:
                  - { name: accounts, primaryIndex: id, partitions: 2 }
                syncs:
                  - id: billing
                    collection: accounts
                    source: { type: topic, topic: billing }
                    primaryKey: id
                    mapping: [ { from: plan } ]
                """.formatted(properties));
    }

    @Test
    void shouldUseThroughputDefaultsUnderExactlyOnce() {
        final Properties props = StreamsSettings.of(config(""), "kafka:9092", Path.of("/state"), "host:8080");
        assertEquals(StreamsConfig.MAX_TASK_IDLE_MS_DISABLED, props.get(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG));
        assertEquals(50, props.get("producer.linger.ms"));
        assertEquals(512 * 1024, props.get("producer.batch.size"));
        assertEquals("lz4", props.get("producer.compression.type"));
        assertEquals(Math.max(1, Runtime.getRuntime().availableProcessors() / 2), props.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG));
    }

    @Test
    void shouldLetTheFilesPropertiesOverrideTheDefaultsButNotTheIdentity() {
        final Properties props = StreamsSettings.of(config("num.stream.threads: \"4\", producer.linger.ms: \"5\", application.id: other"),
                "kafka:9092", Path.of("/state"), "host:8080");
        assertEquals("4", props.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG));
        assertEquals("5", props.get("producer.linger.ms"));
        assertEquals("settings", props.get(StreamsConfig.APPLICATION_ID_CONFIG));
        assertEquals("kafka:9092", props.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG));
        assertEquals("host:8080", props.get(StreamsConfig.APPLICATION_SERVER_CONFIG));
    }

    @Test
    void shouldMergeOnlyCommittedRowsUnderEitherGuarantee() {
        for (final String guarantee : new String[] {"exactly_once_v2", "at_least_once"}) {
            final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).parse(Path.of("persona.yaml"), """
                    kafka: { applicationId: settings, processingGuarantee: %s, properties: { isolation.level: read_uncommitted } }
                    collections:
                      - { name: accounts, primaryIndex: id, partitions: 2 }
                    syncs:
                      - { id: billing, collection: accounts, source: { type: topic, topic: billing }, primaryKey: id, mapping: [ { from: plan } ] }
                    """.formatted(guarantee));
            final StreamsConfig streams = new StreamsConfig(StreamsSettings.of(config, "kafka:9092", Path.of("/state"), "host:8080"));
            assertEquals("read_committed", streams.getMainConsumerConfigs("group", "client", 0).get(ConsumerConfig.ISOLATION_LEVEL_CONFIG), guarantee);
        }
    }

    @Test
    void shouldReplicateStreamsInternalTopicsAsPersonasOwnUnlessTheFileSaysOtherwise() {
        final Properties props = StreamsSettings.withReplication(StreamsSettings.of(config(""), "kafka:9092", Path.of("/state"), null),
                config(""), new TopicReplication(3, 2));
        assertEquals(3, props.get(StreamsConfig.REPLICATION_FACTOR_CONFIG));
        assertEquals("2", props.get("topic.min.insync.replicas"));
        final PersonaConfig own = config("replication.factor: \"2\"");
        assertEquals("2", StreamsSettings.withReplication(StreamsSettings.of(own, "kafka:9092", Path.of("/state"), null), own,
                new TopicReplication(3, 2)).get(StreamsConfig.REPLICATION_FACTOR_CONFIG));
    }

    @Test
    void shouldLeaveHalfOfTheCoresToLookupsWithAtLeastOneStreamThread() {
        assertEquals(1, StreamsSettings.defaultStreamThreads(1));
        assertEquals(1, StreamsSettings.defaultStreamThreads(2));
        assertEquals(2, StreamsSettings.defaultStreamThreads(4));
        assertEquals(8, StreamsSettings.defaultStreamThreads(16));
    }
}
