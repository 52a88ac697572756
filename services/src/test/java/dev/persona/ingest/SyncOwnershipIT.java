package dev.persona.ingest;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.testing.Poll;
import dev.persona.testing.TestKafka;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which instance runs which sync, as instances come and go. */
class SyncOwnershipIT {
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

    /** Counts the starts and stops of each sync's worker on one instance. */
    private static final class Counted implements Function<dev.persona.config.SyncConfig, SyncWorker> {
        final Map<String, AtomicInteger> starts = new ConcurrentHashMap<>();
        final Map<String, AtomicInteger> stops = new ConcurrentHashMap<>();
        final Map<String, java.util.List<RunTrigger>> triggers = new ConcurrentHashMap<>();
        /** Whether a worker's close throws, as a CDC worker's did when its engine had stopped on a failure. */
        volatile boolean closeThrows;

        @Override
        public SyncWorker apply(final dev.persona.config.SyncConfig sync) {
            starts.computeIfAbsent(sync.id(), id -> new AtomicInteger()).incrementAndGet();
            return new SyncWorker() {
                @Override
                public void trigger(final RunTrigger trigger) {
                    triggers.computeIfAbsent(sync.id(), id -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(trigger);
                }

                @Override
                public void close() {
                    stops.computeIfAbsent(sync.id(), id -> new AtomicInteger()).incrementAndGet();
                    if (closeThrows) {
                        throw new IllegalStateException("Engine has been already shut down.");
                    }
                }
            };
        }

        int stopsOf(final String sync) {
            return stops.getOrDefault(sync, new AtomicInteger()).get();
        }
    }

    private static Map<String, Object> client() {
        return Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    }

    private static String control() throws Exception {
        final String topic = TestKafka.uniqueName("control");
        try (Admin admin = kafka.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, RunnableSyncs.CONTROL_PARTITIONS, (short) 1))).all().get();
        }
        return topic;
    }

    /** It used to end the ownership thread: the instance then ran no sync it was given, and stopped none it lost. */
    @Test
    void shouldGoOnOwningSyncsWhenAWorkerFailsToStop() throws Exception {
        final String topic = control();
        final String group = TestKafka.uniqueName("owners");
        final Map<String, Object> client = client();
        final Counted first = new Counted();
        first.closeThrows = true;
        try (SyncOwnership one = SyncOwnership.start(topic, config().syncs(), group, client, first)) {
            Poll.until(TIMEOUT, "the first instance running every sync", () -> one.owned().equals(Set.of("a", "b", "c", "d")));
            try (SyncOwnership two = SyncOwnership.start(topic, config().syncs(), group, client, new Counted())) {
                Poll.until(TIMEOUT, "two syncs moved, their workers' close failing", () -> one.owned().size() == 2 && two.owned().size() == 2);
            }
            Poll.until(TIMEOUT, "every sync back on the first instance once the second left", () -> one.owned().equals(Set.of("a", "b", "c", "d")));
            assertEquals(java.util.Optional.empty(), one.failure());
        }
    }

    private static void request(final String topic, final String sync, final long timestamp) throws Exception {
        try (var producer = kafka.producer()) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, RunnableSyncs.partitionOf(sync), timestamp, sync,
                    "{\"full\":true}".getBytes(java.nio.charset.StandardCharsets.UTF_8))).get();
        }
    }

    /**
     * The console's "full resync" click was lost when it landed while the sync's partition moved: the new owner
     * started at the end of the control topic. Here no instance holds it at all when the request is sent.
     */
    @Test
    void shouldDeliverARunRequestSentWhileNoInstanceHoldsItsSync() throws Exception {
        final String topic = control();
        final String group = TestKafka.uniqueName("owners");
        final Map<String, Object> client = client();
        final Counted first = new Counted();
        try (SyncOwnership one = SyncOwnership.start(topic, config().syncs(), group, client, first)) {
            Poll.until(TIMEOUT, "the first instance running every sync", () -> one.owned().equals(Set.of("a", "b", "c", "d")));
            request(topic, "a", System.currentTimeMillis());
            Poll.until(TIMEOUT, "the first request run", () -> first.triggers.containsKey("a"));
        }
        request(topic, "b", System.currentTimeMillis());
        // Sent while every instance was down for longer than a request lives: dropped, not run on the next start.
        request(topic, "c", System.currentTimeMillis() - SyncOwnership.REQUEST_LIFETIME.toMillis() - 60_000);
        request(topic, "d", System.currentTimeMillis());
        final Counted second = new Counted();
        try (SyncOwnership two = SyncOwnership.start(topic, config().syncs(), group, client, second)) {
            Poll.until(TIMEOUT, "both requests sent meanwhile run by the new owner",
                    () -> second.triggers.containsKey("b") && second.triggers.containsKey("d"));
            assertEquals(List.of(RunTrigger.FULL), second.triggers.get("b"));
            assertEquals(null, second.triggers.get("a"), "a request already run is not run again by the next owner");
            // A fresh request behind the old one on c's partition: once it has run, the old one was read before it.
            request(topic, "c", System.currentTimeMillis());
            Poll.until(TIMEOUT, "the fresh request for c run", () -> second.triggers.containsKey("c"));
            assertEquals(List.of(RunTrigger.FULL), second.triggers.get("c"), "a request older than its lifetime is dropped");
        }
    }

    private static PersonaConfig config() {
        return ConfigLoader.withEnvironment(Map.of()).parse(Path.of("owners.yaml"), """
                collections: [ { name: people, primaryIndex: id, partitions: 1 } ]
                syncs:
                  - { id: a, collection: people, primaryKey: id, mapping: [ { from: fa } ],
                      source: { type: query, connection: "jdbc:duckdb:", sql: "select 1 as id", schedule: every 1h } }
                  - { id: b, collection: people, primaryKey: id, mapping: [ { from: fb } ],
                      source: { type: query, connection: "jdbc:duckdb:", sql: "select 1 as id", schedule: every 1h } }
                  - { id: c, collection: people, primaryKey: id, mapping: [ { from: fc } ],
                      source: { type: query, connection: "jdbc:duckdb:", sql: "select 1 as id", schedule: every 1h } }
                  - { id: d, collection: people, primaryKey: id, mapping: [ { from: fd } ],
                      source: { type: query, connection: "jdbc:duckdb:", sql: "select 1 as id", schedule: every 1h } }
                """);
    }

    @Test
    void shouldKeepRunningTheSyncsThatStayWhenAnotherInstanceJoins() throws Exception {
        final String topic = control();
        final PersonaConfig config = config();
        final String group = TestKafka.uniqueName("owners");
        final Map<String, Object> client = client();
        final Counted first = new Counted();
        final Counted second = new Counted();
        try (SyncOwnership one = SyncOwnership.start(topic, config.syncs(), group, client, first)) {
            Poll.until(TIMEOUT, "the first instance running every sync", () -> one.owned().equals(Set.of("a", "b", "c", "d")));
            try (SyncOwnership two = SyncOwnership.start(topic, config.syncs(), group, client, second)) {
                Poll.until(TIMEOUT, "the syncs shared between the two", () -> !two.owned().isEmpty() && !one.owned().isEmpty()
                        && one.owned().size() + two.owned().size() == 4);
                final Set<String> kept = new HashSet<>(one.owned());
                // A sync that stays is not stopped and started again: a CDC sync would drop its replication
                // connection and capture nothing for the seconds a restart takes.
                for (final String sync : kept) {
                    assertEquals(0, first.stopsOf(sync), "sync " + sync + " stayed on the first instance, yet was stopped");
                    assertEquals(1, first.starts.get(sync).get(), "sync " + sync + " was started again on the first instance");
                }
                for (final String moved : two.owned()) {
                    assertEquals(1, first.stopsOf(moved), "sync " + moved + " moved, so the first instance stopped it once");
                }
                assertTrue(kept.size() == 2, "the four syncs split two and two: " + kept + " / " + two.owned());
            }
        }
    }
}
