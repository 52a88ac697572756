package dev.persona.routing;

import dev.persona.testing.Poll;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.streams.state.HostInfo;
import org.eclipse.jetty.server.DetectorConnectionFactory;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The peer protocol between a {@link PeerClient} and a real Jetty server that serves it beside HTTP
 * ({@link PeerProtocol}), with the stores stood in for by a function: coalescing, many calls on one connection,
 * refusals, a wrong secret, frames changed or replayed on the way, timeouts and a peer that restarts.
 */
class PeerProtocolTest {
    private static final byte[] SECRET = "the cluster's secret for this test".getBytes(StandardCharsets.UTF_8);
    private static final String STORE = "records-customers";

    private final List<Server> servers = new ArrayList<>();
    private final List<PeerClient> clients = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (final PeerClient client : clients) {
            client.close();
        }
        for (final Server server : servers) {
            server.stop();
        }
    }

    @Test
    void shouldSendTheLookupsThatArriveWhileACallIsOutTogetherInTheNextCall() throws Exception {
        final List<List<String>> calls = new CopyOnWriteArrayList<>();
        final CountDownLatch release = new CountDownLatch(1);
        final HostInfo peer = serve(SECRET, (store, keys, hop) -> {
            calls.add(keys);
            if (calls.size() == 1) {
                await(release);
            }
            return echo(keys);
        });
        final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        final PeerClient client = client(SECRET, Duration.ofSeconds(30), metrics);
        final CompletableFuture<StoredValue> first = client.fetch(peer, STORE, "k0", Hop.FORWARDED);
        Poll.until(Duration.ofSeconds(30), "the first call at the peer", () -> calls.size() == 1);
        final List<CompletableFuture<StoredValue>> waiting = new ArrayList<>();
        for (int i = 1; i <= 50; i++) {
            waiting.add(client.fetch(peer, STORE, "k" + i, Hop.FORWARDED));
        }
        waiting.add(client.fetch(peer, STORE, "nobody", Hop.FORWARDED));
        release.countDown();
        assertEquals("k0", text(first.get(30, TimeUnit.SECONDS)));
        for (int i = 1; i <= 50; i++) {
            assertEquals("k" + i, text(waiting.get(i - 1).get(30, TimeUnit.SECONDS)));
        }
        assertEquals(StoredValue.ABSENT, waiting.get(50).get(30, TimeUnit.SECONDS));
        assertEquals(2, calls.size(), "one call for the first lookup, one for the 51 that arrived meanwhile: " + calls);
        assertEquals(51, calls.get(1).size());
        assertEquals(52.0, metrics.summary("persona.peer.call.keys").totalAmount());
    }

    @Test
    void shouldAnswerEveryCallOfManyThreadsOverOneConnectionWithItsOwnValues() throws Exception {
        final HostInfo peer = serve(SECRET, (store, keys, hop) -> echo(keys));
        final PeerClient client = client(SECRET, Duration.ofSeconds(30), new SimpleMeterRegistry());
        final List<CompletableFuture<Map<String, StoredValue>>> answers = new CopyOnWriteArrayList<>();
        final List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            final int thread = t;
            final Thread caller = new Thread(() -> {
                for (int i = 0; i < 500; i++) {
                    answers.add(client.fetchAll(peer, STORE, List.of("k" + thread + "-" + i, "k" + thread + "-" + i + "b"), Hop.FORWARDED));
                }
            });
            caller.start();
            threads.add(caller);
        }
        for (final Thread thread : threads) {
            thread.join();
        }
        assertEquals(2_000, answers.size());
        for (final CompletableFuture<Map<String, StoredValue>> answer : answers) {
            final Map<String, StoredValue> values = answer.get(30, TimeUnit.SECONDS);
            values.forEach((key, value) -> assertEquals(key, text(value), "each key answered with its own value"));
        }
    }

    @Test
    void shouldAnswerACallForAStoreThePeerDoesNotDeclareUnavailableWithItsReason() throws Exception {
        final HostInfo peer = serve(SECRET, (store, keys, hop) -> {
            throw new IllegalArgumentException("no store '" + store + "'");
        });
        final PeerClient client = client(SECRET, Duration.ofSeconds(30), new SimpleMeterRegistry());
        final StoredValue value = client.fetch(peer, "records-nothing", "k0", Hop.FORWARDED).get(30, TimeUnit.SECONDS);
        assertTrue(assertInstanceOf(StoredValue.Unavailable.class, value).detail().contains("no store 'records-nothing'"), value.toString());
    }

    @Test
    void shouldNeitherAnswerNorBeAnsweredWithoutTheClusterSecret() throws Exception {
        final List<List<String>> calls = new CopyOnWriteArrayList<>();
        final HostInfo peer = serve(SECRET, (store, keys, hop) -> {
            calls.add(keys);
            return echo(keys);
        });
        final PeerClient stranger = client("another secret".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(30), new SimpleMeterRegistry());
        final StoredValue value = stranger.fetch(peer, STORE, "k0", Hop.FORWARDED).get(30, TimeUnit.SECONDS);
        assertEquals(UnavailableReason.OWNER_UNREACHABLE, assertInstanceOf(StoredValue.Unavailable.class, value).reason());
        assertEquals(List.of(), calls, "the peer read nothing for a caller without the secret");
    }

    @Test
    void shouldCloseTheConnectionOnAFrameChangedOrReplayedOnTheWay() throws Exception {
        final List<List<String>> calls = new CopyOnWriteArrayList<>();
        final HostInfo peer = serve(SECRET, (store, keys, hop) -> {
            calls.add(keys);
            return echo(keys);
        });
        final PeerAuth auth = new PeerAuth(() -> SECRET, Clock.systemUTC());
        final byte[] call = PeerWire.call(STORE, List.of("k0"), Hop.FORWARDED);
        // Changed: one bit of the body flipped after it was sealed.
        try (Caller caller = handshake(peer, auth)) {
            final Socket socket = caller.socket();
            final byte[] frame = bytes(caller.session().seal(1, call));
            frame[12] ^= 1;
            socket.getOutputStream().write(frame);
            assertTrue(ends(socket), "the peer closes the connection");
        }
        // Replayed: the same sealed frame twice; the first is answered, the second closes the connection.
        try (Caller caller = handshake(peer, auth)) {
            final Socket socket = caller.socket();
            final byte[] frame = bytes(caller.session().seal(1, call));
            socket.getOutputStream().write(frame);
            socket.getOutputStream().write(frame);
            assertTrue(ends(socket), "the peer closes the connection");
        }
        assertEquals(1, calls.size(), "only the first, untouched frame was answered: " + calls);
    }

    @Test
    void shouldAnswerUnavailableWhenThePeerDoesNotAnswerInTimeAndConnectAgainAfter() throws Exception {
        final CountDownLatch release = new CountDownLatch(1);
        final List<List<String>> calls = new CopyOnWriteArrayList<>();
        final HostInfo peer = serve(SECRET, (store, keys, hop) -> {
            calls.add(keys);
            if (keys.contains("hang")) {
                await(release);
            }
            return echo(keys);
        });
        final PeerClient client = client(SECRET, Duration.ofMillis(300), new SimpleMeterRegistry());
        final long start = System.nanoTime();
        final StoredValue late = client.fetch(peer, STORE, "hang", Hop.FORWARDED).get(30, TimeUnit.SECONDS);
        final long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(UnavailableReason.OWNER_UNREACHABLE, assertInstanceOf(StoredValue.Unavailable.class, late).reason());
        assertTrue(millis < 5_000, "answered after " + millis + " ms");
        release.countDown();
        assertEquals("k1", text(client.fetch(peer, STORE, "k1", Hop.FORWARDED).get(30, TimeUnit.SECONDS)));
    }

    @Test
    void shouldReachAPeerAgainAfterItRestarts() throws Exception {
        final PeerProtocol.Answers echo = (store, keys, hop) -> echo(keys);
        final Server first = server(SECRET, echo, 0);
        final int port = ((ServerConnector) first.getConnectors()[0]).getLocalPort();
        final HostInfo peer = new HostInfo("127.0.0.1", port);
        final PeerClient client = client(SECRET, Duration.ofSeconds(30), new SimpleMeterRegistry());
        assertEquals("k1", text(client.fetch(peer, STORE, "k1", Hop.FORWARDED).get(30, TimeUnit.SECONDS)));
        first.stop();
        final StoredValue whileDown = client.fetch(peer, STORE, "k2", Hop.FORWARDED).get(30, TimeUnit.SECONDS);
        assertInstanceOf(StoredValue.Unavailable.class, whileDown);
        server(SECRET, echo, port);
        Poll.until(Duration.ofSeconds(30), "the restarted peer answers", () ->
                client.fetch(peer, STORE, "k3", Hop.FORWARDED).join() instanceof StoredValue.Found);
    }

    @Test
    void shouldLeaveEveryOtherConnectionToHttp() throws Exception {
        final HostInfo peer = serve(SECRET, (store, keys, hop) -> echo(keys));
        try (Socket socket = new Socket("127.0.0.1", peer.port())) {
            socket.getOutputStream().write("GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            final String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertTrue(answer.startsWith("HTTP/1.1 404"), answer);
        }
    }

    private HostInfo serve(final byte[] secret, final PeerProtocol.Answers answers) throws Exception {
        final Server server = server(secret, answers, 0);
        return new HostInfo("127.0.0.1", ((ServerConnector) server.getConnectors()[0]).getLocalPort());
    }

    private Server server(final byte[] secret, final PeerProtocol.Answers answers, final int port) throws Exception {
        final Server server = new Server();
        final PeerAuth auth = new PeerAuth(() -> secret, Clock.systemUTC());
        final ServerConnector connector = new ServerConnector(server, new DetectorConnectionFactory(new PeerProtocol(auth, answers, 1_000)),
                new HttpConnectionFactory());
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);
        server.start();
        servers.add(server);
        return server;
    }

    private PeerClient client(final byte[] secret, final Duration timeout, final SimpleMeterRegistry metrics) {
        final PeerClient client = new PeerClient(new HostInfo("127.0.0.1", 1), Duration.ofSeconds(1), timeout,
                new PeerAuth(() -> secret, Clock.systemUTC()), null, metrics);
        clients.add(client);
        return client;
    }

    private static Map<String, StoredValue> echo(final List<String> keys) {
        final Map<String, StoredValue> values = new LinkedHashMap<>();
        keys.forEach(key -> values.put(key, key.startsWith("k") ? new StoredValue.Found(key.getBytes(StandardCharsets.UTF_8)) : StoredValue.ABSENT));
        return values;
    }

    private static String text(final StoredValue value) {
        return new String(assertInstanceOf(StoredValue.Found.class, value).stored(), StandardCharsets.UTF_8);
    }

    private static void await(final CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A caller of the protocol by hand: its socket, through the handshake, and its session. */
    private record Caller(Socket socket, PeerSession session) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** A socket that went through the handshake as a caller with {@code auth}'s secret, and its session. */
    private static Caller handshake(final HostInfo peer, final PeerAuth auth) throws IOException {
        final Socket socket = new Socket();
        socket.connect(new InetSocketAddress(peer.host(), peer.port()), 5_000);
        socket.setSoTimeout(30_000);
        final byte[] clientNonce = auth.nonce(PeerSession.NONCE_BYTES);
        final OutputStream out = socket.getOutputStream();
        out.write(bytes(PeerSession.hello(clientNonce)));
        final DataInputStream in = new DataInputStream(socket.getInputStream());
        assertEquals(PeerSession.VERSION, in.readByte());
        final byte[] serverNonce = in.readNBytes(PeerSession.NONCE_BYTES);
        assertArrayEquals(auth.proof(PeerSession.SERVER, clientNonce, serverNonce), in.readNBytes(PeerSession.PROOF_BYTES));
        out.write(auth.proof(PeerSession.CLIENT, clientNonce, serverNonce));
        return new Caller(socket, auth.session(clientNonce, serverNonce, true));
    }

    private static byte[] bytes(final ByteBuffer buffer) {
        final byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    /** Whether the peer ends the connection (reading past anything it answered first). */
    private static boolean ends(final Socket socket) throws IOException {
        final InputStream in = socket.getInputStream();
        try {
            while (in.read() >= 0) {
                // an answer to the untouched frame may come first
            }
            return true;
        } catch (final SocketTimeoutException e) {
            return false;
        } catch (final IOException e) {
            return true;
        }
    }

}
