package dev.persona.api;

import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestConfigs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clients without a key cannot stall an instance, tried as an attacker would: hundreds of connections that announce a
 * large body and send it a byte at a time, on the internal and the public routes, from one address (127.0.0.2, so
 * that the per-address limit bites the attacker and not the test's own client on 127.0.0.1), while probes, lookups
 * and batches are timed. Before the credential gate, forty such connections to {@code /internal/v2/stores/x/batch}
 * held every worker thread and {@code /healthz} timed out for as long as they lasted.
 */
class StrangersCannotStallIT {
    private static final String ADMIN = "test-admin-secret";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int PER_ADDRESS = 100;
    private static final InetAddress ATTACKER = address(127, 0, 0, 2);

    private static TestKafka kafka;
    private static PersonaInstance instance;
    private static Path stateDir;
    private static TestHttp http;

    @BeforeAll
    static void start() throws IOException {
        kafka = TestKafka.start();
        final PersonaConfig base = TestConfigs.customers(kafka.bootstrapServers(), TestKafka.uniqueName("stall"));
        final PersonaConfig config = base.withHttp(base.http().withMaxConnectionsPerAddress(PER_ADDRESS));
        stateDir = Files.createTempDirectory("persona-stall-state");
        instance = PersonaInstance.start(config, InstanceOptions.local(stateDir, stateDir).withAdminKey(ADMIN));
        http = new TestHttp(instance.port());
        try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
            TestConfigs.produce(producer, config, "customers", "profiles", "7", "{\"id\":7,\"name\":\"Seven\",\"email\":\"seven@example.com\"}");
        }
        Poll.until(TIMEOUT, "customer 7 readable", () -> http.get("/v1/collections/customers/records/id/7", bearer(ADMIN)).statusCode() == 200);
    }

    @AfterAll
    static void stop() {
        instance.close();
        kafka.close();
        TempDirs.delete(stateDir);
    }

    private static InetAddress address(final int a, final int b, final int c, final int d) {
        try {
            return InetAddress.getByAddress(new byte[]{(byte) a, (byte) b, (byte) c, (byte) d});
        } catch (final IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A connection from the attacker's address that sends a request head announcing a body of 999,999 bytes. */
    private static Socket slowBody(final String path, final String... headers) throws IOException {
        final Socket socket = new Socket();
        socket.bind(new InetSocketAddress(ATTACKER, 0));
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), instance.port()), 2_000);
        final StringBuilder head = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 999999\r\n");
        for (int i = 0; i < headers.length; i += 2) {
            head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        socket.getOutputStream().write(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().write('{');
        return socket;
    }

    /**
     * What the server answered before it closed the connection ("closed" or "reset" for no answer), read within
     * {@code wait}; null when it neither answered nor closed.
     */
    private static String answerOf(final Socket socket, final Duration wait) throws IOException {
        socket.setSoTimeout((int) wait.toMillis());
        final InputStream in = socket.getInputStream();
        final StringBuilder answer = new StringBuilder();
        final byte[] buffer = new byte[4096];
        try {
            for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
                answer.append(new String(buffer, 0, read, StandardCharsets.ISO_8859_1));
                socket.setSoTimeout(500);
            }
            return answer.isEmpty() ? "closed" : answer.toString();
        } catch (final SocketTimeoutException e) {
            return answer.isEmpty() ? null : answer.toString();
        } catch (final IOException e) {
            return answer.isEmpty() ? "reset" : answer.toString();
        }
    }

    /** A connection from the attacker's address that sends nothing. */
    private static Socket idle() throws IOException {
        final Socket socket = new Socket();
        socket.bind(new InetSocketAddress(ATTACKER, 0));
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), instance.port()), 2_000);
        return socket;
    }

    private static void assertAnsweredQuickly(final String what, final HttpResponse<String> answer, final long startNanos, final int status) {
        final long millis = (System.nanoTime() - startNanos) / 1_000_000;
        assertEquals(status, answer.statusCode(), what + ": " + answer.body());
        assertTrue(millis < 2_000, what + " took " + millis + " ms while strangers trickled bodies in");
    }

    @Test
    void shouldAnswerProbesLookupsAndBatchesWhileHundredsOfKeylessClientsTrickleBodies() throws IOException {
        final List<Socket> attackers = new ArrayList<>();
        try {
            for (int i = 0; i < 300; i++) {
                final String path = i % 3 == 0 ? "/internal/v2/stores/x/batch" : "/v1/collections/customers/records/batch";
                try {
                    attackers.add(i % 3 == 2 ? idle() : slowBody(path));
                } catch (final IOException e) {
                    // refused by the per-address limit as it connects: also fine
                }
            }
            final long end = System.nanoTime() + Duration.ofSeconds(12).toNanos();
            int rounds = 0;
            while (System.nanoTime() < end) {
                for (final Socket attacker : attackers) {
                    try {
                        attacker.getOutputStream().write(' ');
                    } catch (final IOException e) {
                        // the server closed it: what it should do
                    }
                }
                long start = System.nanoTime();
                assertAnsweredQuickly("/healthz", http.get("/healthz"), start, 200);
                start = System.nanoTime();
                assertAnsweredQuickly("/readyz", http.get("/readyz"), start, 200);
                start = System.nanoTime();
                assertAnsweredQuickly("a lookup", http.get("/v1/collections/customers/records/id/7", bearer(ADMIN)), start, 200);
                start = System.nanoTime();
                assertAnsweredQuickly("a batch", http.post("/v1/collections/customers/records/batch", "{\"ids\":[\"7\"]}", bearer(ADMIN)), start, 200);
                rounds++;
            }
            assertTrue(rounds > 10, "only " + rounds + " rounds of probes in 12 s");
            for (final Socket attacker : attackers) {
                final String answer = answerOf(attacker, Duration.ofMillis(200));
                assertTrue(answer != null, "every keyless connection was answered or closed, none left waiting: " + attacker);
            }
        } finally {
            for (final Socket attacker : attackers) {
                attacker.close();
            }
        }
    }

    @Test
    void shouldCloseConnectionsFromOneAddressPastItsLimit() throws IOException {
        final List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < PER_ADDRESS + 50; i++) {
                idle.add(idle());
            }
            int closed = 0;
            for (final Socket socket : idle) {
                if (answerOf(socket, Duration.ofMillis(100)) != null) {
                    closed++;
                }
            }
            assertTrue(closed >= 50, closed + " of " + idle.size() + " idle connections from one address were closed at once; the limit is "
                    + PER_ADDRESS);
            final long start = System.nanoTime();
            assertAnsweredQuickly("/healthz from another address", http.get("/healthz"), start, 200);
        } finally {
            for (final Socket socket : idle) {
                socket.close();
            }
        }
    }

    @Test
    void shouldRefuseAKeylessBodyBeforeReadingIt() throws IOException {
        try (Socket socket = slowBody("/internal/v2/stores/x/batch")) {
            final String answer = answerOf(socket, Duration.ofSeconds(5));
            assertTrue(answer != null && answer.startsWith("HTTP/1.1 401"), "401 at once, without the body: " + answer);
            assertTrue(answer.toLowerCase().contains("connection: close"), answer);
        }
        try (Socket socket = slowBody("/v1/activation")) {
            final String answer = answerOf(socket, Duration.ofSeconds(5));
            assertTrue(answer != null && answer.startsWith("HTTP/1.1 401") && answer.contains("Unauthorized request"),
                    "the RudderStack dialect's own 401, at once: " + answer);
        }
    }

    @Test
    void shouldCloseAKeyedBodyThatArrivesTooSlowly() throws IOException {
        try (Socket socket = slowBody("/v1/collections/customers/records/batch", "Authorization", "Bearer " + ADMIN)) {
            String answer = null;
            final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (answer == null && System.nanoTime() < deadline) {
                socket.getOutputStream().write(' ');
                answer = answerOf(socket, Duration.ofSeconds(1));
            }
            assertTrue(answer != null && answer.startsWith("HTTP/1.1 408") && answer.contains("body_too_slow"), "408 body_too_slow: " + answer);
        }
    }

    @Test
    void shouldCloseAConnectionThatSendsNoRequest() throws IOException {
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(ATTACKER, 0));
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), instance.port()), 2_000);
            final OutputStream out = socket.getOutputStream();
            out.write("GET /healthz HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            final long start = System.nanoTime();
            final String answer = answerOf(socket, ApiServer.FIRST_REQUEST_WITHIN.plusSeconds(10));
            final long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue("closed".equals(answer) || "reset".equals(answer), "an unfinished request head is cut off: " + answer);
            assertTrue(millis < ApiServer.FIRST_REQUEST_WITHIN.plusSeconds(5).toMillis(), "closed after " + millis + " ms");
        }
    }
}
