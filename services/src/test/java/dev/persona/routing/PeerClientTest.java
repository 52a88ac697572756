package dev.persona.routing;

import dev.persona.testing.Poll;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.streams.state.HostInfo;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
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
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * Forwards to a peer of an earlier version, which speaks only HTTP: a stand-in Jetty server (as such an instance is)
 * that speaks {@link PeerWire} over HTTP and signs its answers. The peer protocol's own tests are
 * {@link PeerProtocolTest}.
 */
class PeerClientTest {
    private static final byte[] SECRET = "the cluster's secret for this test".getBytes(StandardCharsets.UTF_8);
    private static final PeerAuth AUTH = new PeerAuth(() -> SECRET, Clock.systemUTC());

    private Server server;
    private PeerClient client;

    @AfterEach
    void stop() throws Exception {
        client.close();
        server.stop();
    }

    @Test
    void shouldAskAPeerThatSpeaksOnlyHttpOverHttpWithTheLookupsThatArriveMeanwhileInOneCall() throws Exception {
        final List<List<String>> calls = new CopyOnWriteArrayList<>();
        final CountDownLatch release = new CountDownLatch(1);
        final HostInfo at = httpOnlyPeer((ask, signature) -> {
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
            return new Answer(answer, AUTH.signAnswer(signature, answer));
        });
        final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        client = new PeerClient(new HostInfo("127.0.0.1", 1), Duration.ofSeconds(1), Duration.ofSeconds(30), AUTH, null, metrics);
        final CompletableFuture<StoredValue> first = client.fetch(at, "records-customers", "k0", Hop.FORWARDED);
        Poll.until(Duration.ofSeconds(30), "the first call at the peer", () -> calls.size() == 1);
        final List<CompletableFuture<StoredValue>> waiting = new ArrayList<>();
        for (int i = 1; i <= 50; i++) {
            waiting.add(client.fetch(at, "records-customers", "k" + i, Hop.FORWARDED));
        }
        waiting.add(client.fetch(at, "records-customers", "nobody", Hop.FORWARDED));
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
    }

    @Test
    void shouldTakeNoAnswerThatThePeerDidNotSignForThisCall() throws Exception {
        final HostInfo at = httpOnlyPeer((ask, signature) -> {
            final byte[] answer = PeerWire.answer(ask.keys(), Map.of(ask.keys().get(0), new StoredValue.Found(new byte[]{1})));
            // Signed, but for another call: a man in the middle replaying an old answer.
            return new Answer(answer, AUTH.signAnswer("t=1,n=other,v1=00", answer));
        });
        client = new PeerClient(new HostInfo("127.0.0.1", 1), Duration.ofSeconds(1), Duration.ofSeconds(30), AUTH, null, new SimpleMeterRegistry());
        final StoredValue value = client.fetch(at, "records-customers", "k0", Hop.FORWARDED).get(30, TimeUnit.SECONDS);
        assertEquals(UnavailableReason.OWNER_UNREACHABLE, assertInstanceOf(StoredValue.Unavailable.class, value).reason());
    }

    private record Answer(byte[] body, String signature) {
    }

    /** A peer that answers batch calls over HTTP only, as an instance of an earlier version does. */
    private HostInfo httpOnlyPeer(final BiFunction<PeerWire.Ask, String, Answer> answers) throws Exception {
        server = new Server();
        final ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(final Request request, final Response response, final Callback callback) throws Exception {
                final byte[] body = Content.Source.asByteArrayAsync(request, 1 << 20).get();
                final Answer answer = answers.apply(PeerWire.readAsk(body, 1_000), request.getHeaders().get(PeerAuth.SIGNATURE_HEADER));
                response.getHeaders().put(PeerAuth.ANSWER_HEADER, answer.signature());
                response.write(true, ByteBuffer.wrap(answer.body()), callback);
                return true;
            }
        });
        server.start();
        return new HostInfo("127.0.0.1", connector.getLocalPort());
    }
}
