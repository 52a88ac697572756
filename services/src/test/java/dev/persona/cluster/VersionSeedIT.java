package dev.persona.cluster;

import dev.persona.testing.TestKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A new topology version's copy of the running one, against a real broker. */
class VersionSeedIT {
    private static final String STORE = "people-records";
    private static final String REPARTITION = "people-index-claims-repartition";
    private static TestKafka kafka;

    @BeforeAll
    static void startKafka() {
        kafka = TestKafka.start();
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    @Test
    void shouldCopyEveryChangelogAndTheRepartitionTailTheRunningVersionHasNotRead() throws Exception {
        final TopologyVersion from = version("old");
        final TopologyVersion to = version("new");
        running(from, 8, 10, 4);

        final VersionSeed.Copied copied = VersionSeed.seed(clients(), from, to, Map.of());

        assertEquals(8 + 6, copied.records(), "the whole changelog, and the tail from the running version's position 4 of 10");
        try (Admin admin = kafka.admin()) {
            // Offsets committed in a transaction show once its markers are written, just after the commit returns.
            final Map<TopicPartition, OffsetAndMetadata> position = dev.persona.testing.Poll.until(java.time.Duration.ofSeconds(30),
                    "the new version's position", () -> {
                        try {
                            final Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(to.applicationId())
                                    .partitionsToOffsetAndMetadata().get();
                            return committed.isEmpty() ? Optional.empty() : Optional.of(committed);
                        } catch (final Exception e) {
                            return Optional.empty();
                        }
                    });
            assertEquals(Map.of(new TopicPartition(sourceOf(from), 0), new OffsetAndMetadata(3)), position,
                    "the running version's position in the source topic is the new version's");
        }
    }

    @Test
    void shouldStartOverRatherThanSkipATailDeletedPastTheRunningVersionsPosition() throws Exception {
        final TopologyVersion from = version("old");
        final TopologyVersion to = version("new");
        running(from, 8, 10, 4);
        // What Kafka Streams does to a repartition topic once its group read further than the position the copy read:
        // the records up to offset 7 are deleted. Copying from 7 would lose 4, 5 and 6 (before, the copy's consumer
        // jumped to the end and copied none of the tail, and the version built without three index claims).
        try (Admin admin = kafka.admin()) {
            admin.deleteRecords(Map.of(new TopicPartition(from.applicationId() + "-" + REPARTITION, 0), RecordsToDelete.beforeOffset(7))).all().get();
        }

        final IllegalStateException failed = assertThrows(IllegalStateException.class, () -> VersionSeed.seed(clients(), from, to, Map.of()));

        assertInstanceOf(VersionSeed.TailPurged.class, failed.getCause(), failed.toString());
        assertTrue(failed.getCause().getMessage().contains(from.applicationId() + "-" + REPARTITION), failed.getCause().getMessage());
        try (Admin admin = kafka.admin()) {
            assertTrue(admin.listConsumerGroupOffsets(to.applicationId()).partitionsToOffsetAndMetadata().get().isEmpty(),
                    "nothing of the failed copies is committed: the new version has no position");
        }
    }

    @Test
    void shouldCopyAClaimCommittedBehindAnotherTasksOpenTransaction() throws Exception {
        final TopologyVersion from = version("old");
        final TopologyVersion to = version("new");
        running(from, 8, 0, 0);
        final String repartition = from.applicationId() + "-" + REPARTITION;
        // Two merge tasks write the same repartition partition: the first's transaction stays open (its instance died:
        // the broker aborts it once it times out), the second's claim is committed after it. The partition's last
        // stable offset is the open transaction's first record, before the claim; a copy up to it lost the claim.
        final KafkaProducer<String, byte[]> stalled = transactional(5_000);
        stalled.initTransactions();
        stalled.beginTransaction();
        stalled.send(new ProducerRecord<>(repartition, 0, "email:open", bytes("claim of the open transaction"))).get();
        try (KafkaProducer<String, byte[]> other = transactional(60_000)) {
            other.initTransactions();
            other.beginTransaction();
            other.send(new ProducerRecord<>(repartition, 0, "email:p1", bytes("committed claim"))).get();
            other.commitTransaction();
        }

        final VersionSeed.Copied copied = VersionSeed.seed(clients(), from, to, Map.of());

        assertEquals(8 + 1, copied.records(), "the changelog and the committed claim, not the aborted one");
        stalled.close(java.time.Duration.ZERO);
    }

    private static KafkaProducer<String, byte[]> transactional(final int timeoutMs) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, TestKafka.uniqueName("task-"), ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, timeoutMs),
                new org.apache.kafka.common.serialization.StringSerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer());
    }

    @Test
    void shouldTakeTheInstancesOfAnEarlierReleaseForTheRunningVersion() throws Exception {
        // An upgrade from a release without topology versions: the topic is empty, and the running instances announce
        // only their topology's fingerprint and stores.
        final String topic = TestKafka.uniqueName("versions-");
        try (Admin admin = kafka.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("cleanup.policy", "compact")))).all().get();
        }
        final com.fasterxml.jackson.databind.node.ObjectNode earlier = dev.persona.topology.Json.mapper().createObjectNode()
                .put("fingerprint", "0123456789abcdef");
        earlier.putArray("stores").add(STORE);
        try (TopologyVersions versions = TopologyVersions.follow(topic, clients())) {
            final TopologyVersion mine = versions.resolve("app", "fedcba9876543210", Set.of(STORE), Set.of(REPARTITION),
                    Map.of("127.0.0.1:8081", earlier));

            assertEquals(TopologyVersion.State.BUILDING, mine.state(), "this release's topology builds beside theirs");
            assertEquals(Optional.of("app"), mine.seedFrom(), "copied from the state the earlier release runs under the application id");
            assertEquals("app-fedcba98", mine.applicationId());
            final TopologyVersion theirs = versions.get("0123456789abcdef").orElseThrow();
            assertEquals("app", theirs.applicationId());
            assertTrue(theirs.complete() && theirs.stores().contains(STORE), theirs.toString());
        }
    }

    private static TopologyVersion version(final String name) {
        final String app = TestKafka.uniqueName("seed-" + name + "-");
        return new TopologyVersion(name, app, TopologyVersion.State.COMPLETE, Optional.empty(), Set.of(STORE), Set.of(REPARTITION));
    }

    private static String sourceOf(final TopologyVersion version) {
        return version.applicationId() + "-source";
    }

    /** A running version: its changelog with {@code records} records, {@code tail} claims, read up to {@code read}. */
    private static void running(final TopologyVersion from, final int records, final int tail, final long read) throws Exception {
        final String changelog = from.changelog(STORE);
        final String repartition = from.applicationId() + "-" + REPARTITION;
        try (Admin admin = kafka.admin()) {
            admin.createTopics(List.of(new NewTopic(changelog, 1, (short) 1).configs(Map.of("cleanup.policy", "compact")),
                    new NewTopic(repartition, 1, (short) 1), new NewTopic(sourceOf(from), 1, (short) 1))).all().get();
        }
        try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(changelog, 0, "k" + i, bytes("record " + i)));
            }
            for (int i = 0; i < tail; i++) {
                producer.send(new ProducerRecord<>(repartition, 0, "email:p" + i, bytes("claim " + i)));
            }
            for (int i = 0; i < 5; i++) {
                producer.send(new ProducerRecord<>(sourceOf(from), 0, "k" + i, bytes("row " + i)));
            }
            producer.flush();
        }
        try (Admin admin = kafka.admin()) {
            admin.alterConsumerGroupOffsets(from.applicationId(), Map.of(
                    new TopicPartition(repartition, 0), new OffsetAndMetadata(read),
                    new TopicPartition(sourceOf(from), 0), new OffsetAndMetadata(3))).all().get();
        }
    }

    private static Map<String, Object> clients() {
        return Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    }

    private static byte[] bytes(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
