package dev.persona.routing;

import com.sun.net.httpserver.HttpServer;
import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The read path's decisions with no broker: where each key lives is given ({@link KeyLocator}), what this instance
 * holds is given ({@link LocalStoreReader}), and the owner is a stand-in HTTP server that cannot answer.
 */
class StoredValuesTest {
    private static final HostInfo SELF = new HostInfo("127.0.0.1", 1);
    private static final String STORE = "records-customers";

    private HttpServer owner;
    private final List<List<String>> calls = new CopyOnWriteArrayList<>();
    private PeerClient peers;

    @BeforeEach
    void start() throws Exception {
        owner = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        owner.createContext("/", exchange -> {
            calls.add(PeerWire.readAsk(exchange.getRequestBody().readAllBytes(), 1_000).keys());
            // Restarting: the owner cannot answer now.
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        owner.start();
        peers = new PeerClient(SELF, Duration.ofSeconds(1), Duration.ofSeconds(5), new PeerAuth(() -> "s".getBytes(StandardCharsets.UTF_8),
                Clock.systemUTC()), null, new SimpleMeterRegistry());
    }

    @AfterEach
    void stop() {
        peers.close();
        owner.stop(0);
    }

    private StoredValues values(final LocalStoreReader reader) {
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).parse(Path.of("t.yaml"), """
                kafka: { applicationId: t, topicPrefix: t }
                collections: [ { name: customers, primaryIndex: id, partitions: 2 } ]
                syncs:
                  - { id: profiles, collection: customers, primaryKey: id, mapping: [ { from: name } ],
                      source: { type: topic, topic: profiles } }
                """);
        final HostInfo at = new HostInfo("127.0.0.1", owner.getAddress().getPort());
        final KeyLocator everyKeyElsewhere = new FixedLocator(SELF, new KeyLocation.Remote(0, at, Set.of(SELF)));
        return new StoredValues(new DeclaredStores(config), everyKeyElsewhere, reader, peers, 10, new SimpleMeterRegistry());
    }

    /** Holds a standby copy of every partition, one change behind: it has {@code k1}, and says nothing of other keys. */
    private static LocalStoreReader standbyHolding(final String key) {
        return new LocalStoreReader() {
            @Override
            public StoredValue readLive(final String store, final String asked, final int partition) {
                return StoredValue.NOT_HERE;
            }

            @Override
            public StoredValue read(final String store, final String asked, final int partition) {
                return new StoredValue.Unavailable(UnavailableReason.REBALANCING, "not active here");
            }

            @Override
            public StoredValue readStandby(final String store, final String asked, final int partition, final long maxLag) {
                return asked.equals(key) ? new StoredValue.Found(new byte[]{1}, true, 1)
                        : new StoredValue.Unavailable(UnavailableReason.NO_FRESH_COPY, "lags and lacks the key");
            }

            @Override
            public StoredValue readNearest(final String store, final String asked, final int partition, final long maxLag) {
                return StoredValue.NOT_HERE;
            }

            @Override
            public boolean isQueryable(final String store, final Set<Integer> activePartitions) {
                return false;
            }
        };
    }

    @Test
    void aBatchAsksAnOwnerThatCannotAnswerOnceAndThenTheStandbyCopies() {
        final Map<String, StoredValue> found = values(standbyHolding("k1")).getAll(STORE, List.of("k1", "k2", "k1"), Caller.INSTANCE, Hop.FIRST);
        assertEquals(List.of(List.of("k1", "k2")), calls, "one call to the owner for both keys, and no second one per key");
        assertEquals(List.of("k1", "k2"), List.copyOf(found.keySet()), "in the order asked, once each");
        assertTrue(assertInstanceOf(StoredValue.Found.class, found.get("k1")).stale(), "the standby copy here answered");
        final StoredValue.Unavailable k2 = assertInstanceOf(StoredValue.Unavailable.class, found.get("k2"), "never a 404 for a key that may exist");
        assertSame(UnavailableReason.OWNER_UNREACHABLE, k2.reason(), "a client is told the owner's failure, the first");
    }

    @Test
    void aForwardedBatchIsNeverForwardedAgainNorAnsweredNotHere() {
        final Map<String, StoredValue> found = values(standbyHolding("k1")).getAll(STORE, List.of("k1", "k2"), Caller.INSTANCE, Hop.FORWARDED);
        assertEquals(List.of(), calls, "a forwarded request is answered from here or not at all");
        found.values().forEach(value -> assertInstanceOf(StoredValue.Unavailable.class, value, "moved, with no standby read: " + found));
        assertSame(UnavailableReason.MOVED, ((StoredValue.Unavailable) found.get("k1")).reason());
    }

    @Test
    void aSingleLookupFallsBackToTheStandbyCopyHereWhenTheOwnerCannotAnswer() {
        final StoredValue value = values(standbyHolding("k1")).get(STORE, "k1", Caller.INSTANCE, Hop.FIRST);
        assertEquals(1, calls.size());
        assertTrue(assertInstanceOf(StoredValue.Found.class, value).stale());
    }
}
