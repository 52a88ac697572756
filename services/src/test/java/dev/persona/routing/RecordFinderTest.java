package dev.persona.routing;

import dev.persona.config.CollectionConfig;
import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.topology.RecordMeta;
import dev.persona.topology.StoredRecord;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client's lookup of a partition that is moving waits for the move to settle instead of answering 503, with no
 * broker: this instance's copy of the key's partition answers "rebalancing" for a number of tries, then the record.
 */
class RecordFinderTest {
    private static final HostInfo SELF = new HostInfo("127.0.0.1", 1);
    private static final byte[] RECORD = StoredRecord.encode("{\"id\":\"k1\"}".getBytes(StandardCharsets.UTF_8),
            new RecordMeta(1, 1, Map.of(), Map.of()));
    private static final PersonaConfig CONFIG = ConfigLoader.withEnvironment(Map.of()).parse(Path.of("t.yaml"), """
            kafka: { applicationId: t, topicPrefix: t }
            collections: [ { name: customers, primaryIndex: id, partitions: 2 } ]
            syncs:
              - { id: profiles, collection: customers, primaryKey: id, mapping: [ { from: name } ],
                  source: { type: topic, topic: profiles } }
            """);

    /** Answers "rebalancing" for the first {@code moving} reads, then the record. */
    private static class Moving implements LocalStoreReader {
        final AtomicInteger reads = new AtomicInteger();
        private final int moving;

        Moving(final int moving) {
            this.moving = moving;
        }

        private StoredValue answer() {
            return reads.incrementAndGet() <= moving ? new StoredValue.Unavailable(UnavailableReason.REBALANCING, "moving")
                    : new StoredValue.Found(RECORD, false, 0);
        }

        @Override
        public StoredValue readLive(final String store, final String key, final int partition) {
            return answer();
        }

        @Override
        public StoredValue read(final String store, final String key, final int partition) {
            return answer();
        }

        @Override
        public StoredValue readStandby(final String store, final String key, final int partition, final long maxLag) {
            return new StoredValue.Unavailable(UnavailableReason.NO_FRESH_COPY, "none");
        }

        @Override
        public StoredValue readNearest(final String store, final String key, final int partition, final long maxLag) {
            return StoredValue.NOT_HERE;
        }

        @Override
        public boolean isQueryable(final String store, final Set<Integer> activePartitions) {
            return false;
        }
    }

    private static RecordFinder finder(final LocalStoreReader reader, final Duration settle) {
        final KeyLocator here = new FixedLocator(SELF, new KeyLocation.Local(0, Set.of()));
        return new RecordFinder(new StoredValues(new DeclaredStores(CONFIG), here, reader, null, 10, new SimpleMeterRegistry()), settle);
    }

    private static RecordQuery query() {
        final CollectionConfig customers = CONFIG.collection("customers").orElseThrow();
        return RecordQuery.byKey(customers, "k1");
    }

    @Test
    void aLookupOfAMovingPartitionIsAnsweredOnceTheMoveSettles() {
        final Moving reader = new Moving(5);
        // A wait far longer than five tries take, however busy the machine: the answer comes with the sixth.
        assertInstanceOf(StoredValue.Found.class, finder(reader, Duration.ofSeconds(60)).find(query()));
        assertEquals(6, reader.reads.get(), "asked until the partition answered, and no more");
    }

    @Test
    void aBatchWaitsOnlyForTheKeysWhosePartitionMoves() {
        final Moving reader = new Moving(3);
        final Map<String, StoredValue> found = finder(reader, Duration.ofSeconds(60)).findAll(query(), List.of("k1"));
        assertInstanceOf(StoredValue.Found.class, found.get("k1"));
    }

    @Test
    void aMoveThatOutlastsThePatienceIsUnavailable() {
        final StoredValue answer = finder(new Moving(Integer.MAX_VALUE), Duration.ofMillis(100)).find(query());
        assertSame(UnavailableReason.REBALANCING, assertInstanceOf(StoredValue.Unavailable.class, answer).reason());
    }

    /** A move under heavy load must not hold every worker thread of the API: past the bound, 503 at once. */
    @Test
    void lookupsPastTheBoundOfWaitersAnswerAtOnce() throws Exception {
        final RecordFinder finder = finder(new Moving(Integer.MAX_VALUE), Duration.ofSeconds(30));
        final java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(RecordFinder.MAX_WAITING);
        try {
            for (int i = 0; i < RecordFinder.MAX_WAITING; i++) {
                pool.execute(() -> finder.find(query()));
            }
            dev.persona.testing.Poll.until(Duration.ofSeconds(10), "every waiter waiting", () -> finder.waitingNow() == RecordFinder.MAX_WAITING);
            final long start = System.nanoTime();
            assertInstanceOf(StoredValue.Unavailable.class, finder.find(query()));
            assertTrue(System.nanoTime() - start < java.util.concurrent.TimeUnit.SECONDS.toNanos(5), "answered without waiting for the move");
        } finally {
            pool.shutdownNow();
        }
    }

    /** An owner that took longer than the wait to fail (the peer timeout) is not asked a second time. */
    @Test
    void aTryThatOutlastsTheWaitIsNotRepeated() {
        final Moving slow = new Moving(Integer.MAX_VALUE) {
            @Override
            public StoredValue readLive(final String store, final String key, final int partition) {
                java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(300));
                return super.readLive(store, key, partition);
            }
        };
        assertInstanceOf(StoredValue.Unavailable.class, finder(slow, Duration.ofMillis(100)).find(query()));
        assertEquals(1, slow.reads.get(), "the wait counts from the first try");
    }

    @Test
    void aForwardedLookupDoesNotWait() {
        final Moving reader = new Moving(5);
        final StoredValue answer = finder(reader, Duration.ofSeconds(2)).find(query().withHop(Hop.FORWARDED));
        assertInstanceOf(StoredValue.Unavailable.class, answer);
        assertEquals(1, reader.reads.get(), "the instance that took the client's request waits, not its peers");
    }
}
