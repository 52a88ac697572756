package dev.persona.routing;

import com.sun.net.httpserver.HttpServer;
import dev.persona.testing.Poll;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * Forwards against a stand-in peer (a plain HTTP server that speaks {@link PeerWire} and signs its answers, as an
 * instance does): lookups that arrive while a call is out travel together in the next call.
 */
class PeerClientTest {
    private static final byte[] SECRET = "the cluster's secret for this test".getBytes(StandardCharsets.UTF_8);

    @Test
    void shouldSendTheLookupsThatArriveWhileACallIsOutTogetherInTheNextCall() throws Exception {
        final PeerAuth auth = new PeerAuth(() -> SECRET, Clock.systemUTC());
        final List<List<String>> calls = new CopyOnWriteArrayList<>();
        final CountDownLatch release = new CountDownLatch(1);
        final HttpServer peer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        peer.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        peer.createContext("/", exchange -> {
            final PeerWire.Ask ask = PeerWire.readAsk(exchange.getRequestBody().readAllBytes(), 1_000);
            calls.add(ask.keys());
            if (calls.size() == 1) {
                try {
                    // The first call stays out until the test has asked for more keys.
                    release.await(30, TimeUnit.SECONDS);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            final Map<String, StoredValue> values = new HashMap<>();
            ask.keys().forEach(key -> values.put(key, key.startsWith("k") ? new StoredValue.Found(key.getBytes(StandardCharsets.UTF_8)) : StoredValue.ABSENT));
            final byte[] answer = PeerWire.answer(ask.keys(), values);
            exchange.getResponseHeaders().add(PeerAuth.ANSWER_HEADER,
                    auth.signAnswer(exchange.getRequestHeaders().getFirst(PeerAuth.SIGNATURE_HEADER), answer));
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        peer.start();
        final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        final PeerClient client = new PeerClient(new HostInfo("127.0.0.1", 1), Duration.ofSeconds(1), Duration.ofSeconds(30), auth, null, metrics);
        try {
            final HostInfo at = new HostInfo("127.0.0.1", peer.getAddress().getPort());
            final Caller caller = new Caller("k1", List.of("*"));
            final CompletableFuture<StoredValue> first = client.fetch(at, "records-customers", "k0", caller, Hop.FORWARDED);
            Poll.until(Duration.ofSeconds(30), "the first call at the peer", () -> calls.size() == 1);
            final List<CompletableFuture<StoredValue>> waiting = new ArrayList<>();
            for (int i = 1; i <= 50; i++) {
                waiting.add(client.fetch(at, "records-customers", "k" + i, caller, Hop.FORWARDED));
            }
            waiting.add(client.fetch(at, "records-customers", "nobody", caller, Hop.FORWARDED));
            release.countDown();
            assertEquals("k0", new String(assertInstanceOf(StoredValue.Found.class, first.get(30, TimeUnit.SECONDS)).stored(), StandardCharsets.UTF_8));
            for (int i = 1; i <= 50; i++) {
                assertEquals("k" + i, new String(assertInstanceOf(StoredValue.Found.class, waiting.get(i - 1).get(30, TimeUnit.SECONDS)).stored(),
                        StandardCharsets.UTF_8));
            }
            assertEquals(StoredValue.ABSENT, waiting.get(50).get(30, TimeUnit.SECONDS));
            assertEquals(2, calls.size(), "one call for the first lookup, one for the 51 that arrived meanwhile: " + calls);
            assertEquals(51, calls.get(1).size());
            assertEquals(52.0, metrics.summary("persona.peer.call.keys").totalAmount());
        } finally {
            client.close();
            peer.stop(0);
        }
    }

    @Test
    void shouldTakeNoAnswerThatThePeerDidNotSignForThisCall() throws Exception {
        final PeerAuth auth = new PeerAuth(() -> SECRET, Clock.systemUTC());
        final HttpServer peer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        peer.createContext("/", exchange -> {
            final PeerWire.Ask ask = PeerWire.readAsk(exchange.getRequestBody().readAllBytes(), 1_000);
            final byte[] answer = PeerWire.answer(ask.keys(), Map.of(ask.keys().get(0), new StoredValue.Found(new byte[]{1})));
            // Signed, but for another call: a man in the middle replaying an old answer.
            exchange.getResponseHeaders().add(PeerAuth.ANSWER_HEADER, auth.signAnswer("t=1,n=other,v1=00", answer));
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        peer.start();
        final PeerClient client = new PeerClient(new HostInfo("127.0.0.1", 1), Duration.ofSeconds(1), Duration.ofSeconds(30), auth, null,
                new SimpleMeterRegistry());
        try {
            final StoredValue value = client.fetch(new HostInfo("127.0.0.1", peer.getAddress().getPort()), "records-customers", "k0",
                    Caller.INSTANCE, Hop.FORWARDED).get(30, TimeUnit.SECONDS);
            assertEquals(UnavailableReason.OWNER_UNREACHABLE, assertInstanceOf(StoredValue.Unavailable.class, value).reason());
        } finally {
            client.close();
            peer.stop(0);
        }
    }
}
