package dev.persona.runtime;

import dev.persona.kafka.StreamsSettings;
import dev.persona.kafka.TopicProvisioner;
import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestKafka;
import dev.persona.topology.PersonaTopology;
import dev.persona.topology.StoredRecord;
import dev.persona.topology.TopicNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.query.StateQueryRequest;
import org.apache.kafka.streams.query.StateQueryResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MergeTopologyIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static TestKafka kafka;

    @BeforeAll
    static void startBroker() {
        kafka = TestKafka.start();
    }

    @AfterAll
    static void stopBroker() {
        kafka.close();
    }

    private static PersonaConfig config(final String app) {
        return ConfigLoader.withEnvironment(Map.of()).parse(Path.of("it.yaml"), """
                kafka:
                  applicationId: %s
                  topicPrefix: %s
                collections:
                  - name: customers
                    primaryIndex: user_id
                    partitions: 3
                syncs:
                  - id: profiles
                    collection: customers
                    source: { type: cdc, connection: "jdbc:postgresql://localhost/test", table: public.profiles }
                    primaryKey: id
                    mapping: [ { from: name, to: full_name }, { template: "{{ ltv | round: 2 }}", to: lifetime_value } ]
                    onDelete: delete_record
                  - id: usage
                    collection: customers
                    source: { type: query, connection: "jdbc:duckdb:", sql: "select 1", schedule: every 30s }
                    primaryKey: user_id
                    mapping: [ { from: num_messages_sent } ]
                  - id: clicks
                    collection: customers
                    source: { type: topic, topic: %s-clicks, format: row }
                    primaryKey: user_id
                    mapping: [ { from: last_page } ]
                """.formatted(app, app, app));
    }

    /** Key metadata exists only where instances advertise an address; nothing listens on it here. */
    private static KafkaStreams startStreams(final PersonaConfig config, final Path stateDir) {
        final StreamsBuilder builder = new StreamsBuilder();
        PersonaTopology.build(builder, config);
        final KafkaStreams streams = new KafkaStreams(builder.build(),
                StreamsSettings.of(config, kafka.bootstrapServers(), stateDir, "127.0.0.1:18080"));
        streams.start();
        return streams;
    }

    private static Optional<String> lookup(final KafkaStreams streams, final String key) {
        final String store = TopicNames.recordStore("customers");
        final KeyQueryMetadata owner = streams.queryMetadataForKey(store, key, Serdes.String().serializer());
        if (owner == null || owner.partition() < 0) {
            return Optional.empty();
        }
        final StateQueryResult<byte[]> result = streams.query(StateQueryRequest.inStore(store)
                .withQuery(KeyQuery.<String, byte[]>withKey(key))
                .withPartitions(Set.of(owner.partition())));
        final QueryResult<byte[]> partitionResult = result.getPartitionResults().get(owner.partition());
        if (partitionResult == null || partitionResult.isFailure() || !StoredRecord.isPresent(partitionResult.getResult())) {
            return Optional.empty();
        }
        return Optional.of(new String(StoredRecord.body(partitionResult.getResult()), StandardCharsets.UTF_8));
    }

    @Test
    void shouldMergeTwoSyncsIntoOneRecordAndRestoreItFromTheChangelogAfterTheStateIsWiped() throws Exception {
        final String app = TestKafka.uniqueName("merge");
        final PersonaConfig config = config(app);
        final TopicNames names = new TopicNames(config.kafka());
        try (Admin admin = kafka.admin()) {
            // Another team's topic with a partition count of its own: Persona repartitions it.
            admin.createTopics(List.of(new NewTopic(app + "-clicks", 1, (short) 1))).all().get();
            new TopicProvisioner(admin, config.kafka()).provision(config);
            assertEquals(3, admin.describeTopics(List.of(names.syncTopic("customers", "profiles"))).allTopicNames().get()
                    .get(names.syncTopic("customers", "profiles")).partitions().size());
        }
        try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>(names.syncTopic("customers", "profiles"), "u" + i, utf8(
                        "{\"op\":\"upsert\",\"row\":{\"id\":\"u" + i + "\",\"name\":\"Name " + i + "\",\"ltv\":" + i + ".456},\"version\":" + i + "}")));
                producer.send(new ProducerRecord<>(names.syncTopic("customers", "usage"), "u" + i, utf8(
                        "{\"op\":\"upsert\",\"row\":{\"user_id\":\"u" + i + "\",\"num_messages_sent\":" + (i * 10) + "}}")));
            }
            producer.send(new ProducerRecord<>(app + "-clicks", "whatever", utf8("{\"user_id\":\"u7\",\"last_page\":\"/pricing\"}")));
            producer.flush();
        }
        final String expected = "{\"user_id\":\"u7\",\"full_name\":\"Name 7\",\"lifetime_value\":7.46,\"num_messages_sent\":70,\"last_page\":\"/pricing\"}";

        final Path firstState = Files.createTempDirectory("persona-state-a");
        final KafkaStreams first = startStreams(config, firstState);
        try {
            final KafkaStreams streams = first;
            final String merged = Poll.until(TIMEOUT, "record u7 merged from three syncs",
                    () -> lookup(streams, "u7").filter(json -> json.contains("last_page") && json.contains("num_messages_sent")));
            assertEquals(expected, merged);
            Poll.until(TIMEOUT, "record u19 merged", () -> lookup(streams, "u19").filter(json -> json.contains("num_messages_sent")));
        } finally {
            // Leave the group so that the next instance gets the partitions at once, not after the session timeout.
            first.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
            TempDirs.delete(firstState);
        }

        final Path secondState = Files.createTempDirectory("persona-state-b");
        try (KafkaStreams streams = startStreams(config, secondState)) {
            assertEquals(expected, Poll.until(TIMEOUT, "record u7 restored from the changelog", () -> lookup(streams, "u7")));
        } finally {
            TempDirs.delete(secondState);
        }
    }

    private static byte[] utf8(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
