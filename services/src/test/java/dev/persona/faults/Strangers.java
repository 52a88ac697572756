package dev.persona.faults;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Clients without a key that try to stall the instances, from an address of their own (127.0.0.2): connections that
 * announce a large body and send it a byte every few seconds, on the internal and the public routes, and connections
 * that send nothing. Meanwhile every instance's {@code /healthz} and {@code /readyz} are asked every 250 ms with a 2 s
 * deadline, as a Kubernetes probe would: a probe that fails or times out is counted.
 */
final class Strangers {
    private static final InetAddress FROM = address();
    private static final Duration PROBE_DEADLINE = Duration.ofSeconds(2);

    private final HttpClient probes = HttpClient.newBuilder().connectTimeout(PROBE_DEADLINE).build();
    final AtomicLong probesAnswered = new AtomicLong();
    final AtomicLong probesFailed = new AtomicLong();
    final List<String> failures = new ArrayList<>();

    private static InetAddress address() {
        try {
            return InetAddress.getByAddress(new byte[]{127, 0, 0, 2});
        } catch (final IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Holds {@code perInstance} stranger connections on each of {@code ports} for {@code duration}, probing throughout. */
    void attack(final List<Integer> ports, final int perInstance, final Duration duration) {
        final List<Socket> sockets = new ArrayList<>();
        try {
            for (final int port : ports) {
                for (int i = 0; i < perInstance; i++) {
                    open(port, i).ifPresent(sockets::add);
                }
            }
            final long end = System.nanoTime() + duration.toNanos();
            long nextTrickle = 0;
            while (System.nanoTime() < end) {
                if (System.nanoTime() >= nextTrickle) {
                    // Closed connections are reopened: the attack keeps its size for its whole length.
                    for (int i = 0; i < sockets.size(); i++) {
                        try {
                            sockets.get(i).getOutputStream().write(' ');
                        } catch (final IOException e) {
                            close(sockets.get(i));
                            final int port = sockets.get(i).getPort();
                            final int n = i;
                            open(port, n).ifPresent(s -> sockets.set(n, s));
                        }
                    }
                    nextTrickle = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                }
                for (final int port : ports) {
                    probe(port, "/healthz");
                    probe(port, "/readyz");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250));
            }
        } finally {
            sockets.forEach(Strangers::close);
        }
    }

    private java.util.Optional<Socket> open(final int port, final int i) {
        final Socket socket = new Socket();
        try {
            socket.bind(new InetSocketAddress(FROM, 0));
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2_000);
            if (i % 3 != 2) {
                final String path = i % 3 == 0 ? "/internal/v2/stores/records-people/batch" : "/v1/collections/people/records/batch";
                socket.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 999999\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            }
            return java.util.Optional.of(socket);
        } catch (final IOException e) {
            close(socket);
            return java.util.Optional.empty();
        }
    }

    private void probe(final int port, final String path) {
        try {
            final HttpResponse<Void> answer = probes.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(PROBE_DEADLINE).GET().build(), HttpResponse.BodyHandlers.discarding());
            if (answer.statusCode() == 200) {
                probesAnswered.incrementAndGet();
                return;
            }
            fail(port + path + " answered " + answer.statusCode());
        } catch (final IOException e) {
            fail(port + path + ": " + e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void fail(final String what) {
        probesFailed.incrementAndGet();
        synchronized (failures) {
            if (failures.size() < 10) {
                failures.add(what);
            }
        }
    }

    private static void close(final Socket socket) {
        try {
            socket.close();
        } catch (final IOException e) {
            // gone already
        }
    }
}
