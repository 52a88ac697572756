package dev.persona.kafka;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.config.SyncConfig;
import dev.persona.ingest.SyncOwnership;
import dev.persona.ingest.SyncWorker;
import dev.persona.testing.Poll;
import dev.persona.testing.TestKafka;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Background loops that every instance runs survive their failures, and say so while they last. */
class BackgroundLoopsIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static TestKafka kafka;

    @BeforeAll
    static void start() {
        kafka = TestKafka.start();
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    private static String topic(final int partitions) throws Exception {
        final String topic = TestKafka.uniqueName("loops");
        try (Admin admin = kafka.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
        }
        return topic;
    }

    private static void produce(final String topic, final String key, final String value) throws Exception {
        try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
            producer.send(new ProducerRecord<>(topic, 0, key, value.getBytes(StandardCharsets.UTF_8))).get();
        }
    }

    @Test
    void shouldRetryTheRecordItsCallbackFailedOnAndGoOnFollowing() throws Exception {
        final String topic = topic(1);
        final List<String> applied = new CopyOnWriteArrayList<>();
        final AtomicInteger failuresLeft = new AtomicInteger(2);
        try (TopicFollower follower = TopicFollower.start(topic, Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                record -> {
                    if ("poison".equals(record.key()) && failuresLeft.getAndDecrement() > 0) {
                        throw new IllegalStateException("simulated: cannot apply " + record.key());
                    }
                    applied.add(record.key());
                })) {
            produce(topic, "poison", "x");
            Poll.until(TIMEOUT, "the failure reported", () -> follower.failure().filter(f -> f.contains("simulated")).isPresent());
            produce(topic, "after", "y");
            Poll.until(TIMEOUT, "both records applied once it recovered", () -> applied.equals(List.of("poison", "after")));
            Poll.until(TIMEOUT, "the failure cleared", () -> follower.failure().isEmpty());
        }
    }

    @Test
    void shouldRejoinAndRunTheSyncWhenItsWorkerCouldNotStart() throws Exception {
        final String topic = topic(dev.persona.ingest.RunnableSyncs.CONTROL_PARTITIONS);
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).parse(Path.of("loops.yaml"), """
                collections: [ { name: people, primaryIndex: id, partitions: 1 } ]
                syncs:
                  - { id: people, collection: people, primaryKey: id, mapping: [ { from: name } ],
                      source: { type: query, connection: "jdbc:duckdb:", sql: "select 1 as id", schedule: every 1h } }
                """);
        final AtomicInteger starts = new AtomicInteger();
        final List<Boolean> triggers = new CopyOnWriteArrayList<>();
        final List<SyncConfig> syncs = config.syncs();
        try (SyncOwnership ownership = SyncOwnership.start(topic, syncs, TestKafka.uniqueName("owners"),
                Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()), sync -> {
                    if (starts.incrementAndGet() == 1) {
                        throw new IllegalStateException("simulated: the worker's producer could not be created");
                    }
                    return new SyncWorker() {
                        @Override
                        public void trigger(final dev.persona.ingest.RunTrigger trigger) {
                            triggers.add(trigger == dev.persona.ingest.RunTrigger.FULL);
                        }

                        @Override
                        public void close() {
                        }
                    };
                })) {
            // The failure is reported only until the rejoin a second later, too briefly to poll for here.
            Poll.until(TIMEOUT, "the sync running after a rejoin", () -> ownership.owned().equals(java.util.Set.of("people")));
            Poll.until(TIMEOUT, "the failure cleared", () -> ownership.failure().isEmpty());
            // A run request goes to the partition the sync's id hashes to, as IngestService sends it.
            try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
                producer.send(new ProducerRecord<>(topic, dev.persona.ingest.RunnableSyncs.partitionOf("people"), "people",
                        "{\"full\":true}".getBytes(StandardCharsets.UTF_8))).get();
            }
            Poll.until(TIMEOUT, "the run request reaching the worker", () -> triggers.equals(List.of(true)));
            assertEquals(2, starts.get());
            assertTrue(ownership.failure().isEmpty());
        }
    }
}
