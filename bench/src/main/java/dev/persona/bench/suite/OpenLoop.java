package dev.persona.bench.suite;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;

/**
 * Lookups at a fixed rate, open loop, as wrk2 and Gil Tene's talks on coordinated omission ask for: request i is due
 * at {@code start + i / rate} whatever happened to the ones before it, and its latency is measured from when it was
 * due, not from when it could be sent. A server that stalls for 50 ms thus shows every request due in those 50 ms as
 * late, where a closed loop (wrk) would have sent them later and counted them fast. Requests go out over at most
 * {@code connections} keep-alive HTTP/1.1 connections; one due while all are busy waits, and the wait counts.
 * Latencies are recorded in an HdrHistogram (1 µs to 60 s, 3 significant digits).
 * <p>
 * The generator shares this machine's two cores with the server, the broker and the producer, so it is kept as lean
 * as wrk: the requests are bytes written straight to non-blocking sockets by the thread that times them, one selector
 * thread reads the answers (status line and {@code Content-Length}) and writes whatever became due while every
 * connection was busy. Jetty's client, used before, cost 75 µs of CPU a request, two thirds of a core at a quarter
 * of webdis' maximum: during ingest the machine was then saturated by the measurement itself.
 */
final class OpenLoop implements AutoCloseable {
    /**
     * One run at one rate: what was asked, what came back, the latency distribution in microseconds, and how late
     * the generator itself sent (p99 and max, microseconds): when that is large, the figures are the generator's
     * and the machine's, not the server's.
     */
    record Run(String target, double rate, long sent, long errors, double seconds, long p50, long p99, long p999, long max,
               long sendLateP99, long sendLateMax) {
        double achievedRate() {
            return (sent - errors) / seconds;
        }
    }

    private final int connections;

    OpenLoop(final int connections) {
        this.connections = connections;
    }

    /**
     * Sends {@code rate} requests a second for {@code warmup} (not recorded), then for {@code duration}.
     *
     * @param url    the URL of request number {@code i}, given a random record number
     * @param bearer the API key, or null for none
     */
    Run run(final String target, final LongFunction<String> url, final int records, final String bearer, final double rate,
            final Duration warmup, final Duration duration) throws InterruptedException {
        try (Connections pool = new Connections(URI.create(url.apply(1)), connections)) {
            send(pool, url, records, bearer, rate, warmup, new Recorder(3), new Histogram(3));
            pool.awaitIdle(Duration.ofSeconds(30));
            pool.errors.set(0);
            final Recorder recorder = new Recorder(TimeUnit.SECONDS.toMicros(60), 3);
            final Histogram late = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
            final long sent = send(pool, url, records, bearer, rate, duration, recorder, late);
            // Every request answered (or given up on) before the histogram is read.
            final long unanswered = pool.awaitIdle(Duration.ofSeconds(30));
            final Histogram histogram = recorder.getIntervalHistogram();
            return new Run(target, rate, sent, pool.errors.get() + unanswered, duration.toNanos() / 1e9, histogram.getValueAtPercentile(50),
                    histogram.getValueAtPercentile(99), histogram.getValueAtPercentile(99.9), histogram.getMaxValue(),
                    late.getValueAtPercentile(99), late.getMaxValue());
        } catch (final IOException e) {
            throw new UncheckedIOException("the open-loop generator could not reach " + url.apply(1), e);
        }
    }

    private static long send(final Connections pool, final LongFunction<String> url, final int records, final String bearer, final double rate,
                             final Duration duration, final Recorder recorder, final Histogram late) {
        pool.recorder = recorder;
        final double interval = 1e9 / rate;
        final long count = (long) (rate * duration.toNanos() / 1e9);
        final String authorization = bearer == null ? "" : "Authorization: Bearer " + bearer + "\r\n";
        final long start = System.nanoTime();
        for (long i = 0; i < count; i++) {
            final long due = start + (long) (i * interval);
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            late.recordValue(Math.max(0, (System.nanoTime() - due) / 1_000));
            final URI uri = URI.create(url.apply(1 + ThreadLocalRandom.current().nextLong(records)));
            final String path = uri.getRawQuery() == null ? uri.getRawPath() : uri.getRawPath() + '?' + uri.getRawQuery();
            pool.submit(new Due(due, ("GET " + path + " HTTP/1.1\r\nHost: " + uri.getAuthority() + "\r\n" + authorization + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII)));
        }
        return count;
    }

    @Override
    public void close() {
    }

    /** A request and when it was due. */
    private record Due(long at, byte[] request) {
    }

    /**
     * The keep-alive connections of one run and the thread that reads their answers. A request due while every
     * connection is busy waits in {@link #waiting} and goes out on the first connection an answer frees.
     */
    private static final class Connections implements AutoCloseable {
        private final Selector selector;
        private final List<Connection> all = new ArrayList<>();
        private final ArrayDeque<Connection> idle = new ArrayDeque<>();
        private final ArrayDeque<Due> waiting = new ArrayDeque<>();
        private final AtomicLong outstanding = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        volatile Recorder recorder;
        private final Thread reader;
        private volatile boolean closed;

        Connections(final URI target, final int count) throws IOException {
            selector = Selector.open();
            final InetSocketAddress address = new InetSocketAddress(target.getHost(), target.getPort());
            for (int i = 0; i < count; i++) {
                final SocketChannel channel = SocketChannel.open(address);
                channel.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                channel.configureBlocking(false);
                final Connection connection = new Connection(channel);
                channel.register(selector, SelectionKey.OP_READ, connection);
                all.add(connection);
                idle.add(connection);
            }
            reader = new Thread(this::read, "bench-openloop-reader");
            reader.setDaemon(true);
            reader.start();
        }

        /** Sends {@code due} on an idle connection, or queues it for the next one an answer frees. */
        void submit(final Due due) {
            outstanding.incrementAndGet();
            final Connection connection;
            synchronized (this) {
                connection = idle.poll();
                if (connection == null) {
                    waiting.add(due);
                    return;
                }
            }
            write(connection, due);
        }

        private void write(final Connection connection, final Due due) {
            connection.due = due.at();
            try {
                final ByteBuffer bytes = ByteBuffer.wrap(due.request());
                while (bytes.hasRemaining()) {
                    // A request of a few hundred bytes fits the socket's send buffer of an idle keep-alive connection.
                    connection.channel.write(bytes);
                }
            } catch (final IOException e) {
                failed(connection);
            }
        }

        private void read() {
            final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 16);
            try {
                while (!closed) {
                    selector.select(100);
                    for (final SelectionKey key : selector.selectedKeys()) {
                        final Connection connection = (Connection) key.attachment();
                        buffer.clear();
                        int read;
                        try {
                            read = connection.channel.read(buffer);
                        } catch (final IOException e) {
                            read = -1;
                        }
                        if (read < 0) {
                            key.cancel();
                            failed(connection);
                            continue;
                        }
                        buffer.flip();
                        if (connection.answer.consume(buffer)) {
                            final long now = System.nanoTime();
                            recorder.recordValue(Math.max(1, (now - connection.due) / 1_000));
                            connection.due = 0;
                            if (connection.answer.status != 200) {
                                errors.incrementAndGet();
                            }
                            connection.answer.reset();
                            answered(connection);
                        }
                    }
                    selector.selectedKeys().clear();
                }
            } catch (final IOException e) {
                if (!closed) {
                    throw new UncheckedIOException(e);
                }
            }
        }

        /** An answer freed {@code connection}: the next waiting request goes out on it, or it waits for one. */
        private void answered(final Connection connection) {
            outstanding.decrementAndGet();
            final Due next;
            synchronized (this) {
                next = waiting.poll();
                if (next == null) {
                    idle.add(connection);
                    return;
                }
            }
            write(connection, next);
        }

        /** A connection broke (the server closed it, or a write failed): its request counts as an error; it is not reused. */
        private void failed(final Connection connection) {
            if (connection.due != 0) {
                connection.due = 0;
                errors.incrementAndGet();
                outstanding.decrementAndGet();
            }
            try {
                connection.channel.close();
            } catch (final IOException ignored) {
                // Closing a broken socket.
            }
        }

        /** Waits until every request sent is answered, at most {@code timeout}; returns how many were not. */
        long awaitIdle(final Duration timeout) {
            final long deadline = System.nanoTime() + timeout.toNanos();
            while (outstanding.get() > 0 && System.nanoTime() < deadline) {
                LockSupport.parkNanos(1_000_000);
            }
            return outstanding.get();
        }

        @Override
        public void close() throws IOException {
            closed = true;
            selector.wakeup();
            try {
                reader.join(5_000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (final Connection connection : all) {
                connection.channel.close();
            }
            selector.close();
        }
    }

    /** One keep-alive connection, the request out on it and the answer being read. */
    private static final class Connection {
        final SocketChannel channel;
        final Answer answer = new Answer();
        volatile long due;

        Connection(final SocketChannel channel) {
            this.channel = channel;
        }
    }

    /** An HTTP/1.1 answer read in pieces: the status, and the body skipped by its {@code Content-Length}. */
    static final class Answer {
        private final StringBuilder head = new StringBuilder();
        private boolean inBody;
        private long bodyLeft;
        int status;

        /** Consumes {@code bytes}; true when the answer is complete. */
        boolean consume(final ByteBuffer bytes) {
            while (bytes.hasRemaining()) {
                if (inBody) {
                    final int skip = (int) Math.min(bodyLeft, bytes.remaining());
                    bytes.position(bytes.position() + skip);
                    bodyLeft -= skip;
                } else {
                    head.append((char) (bytes.get() & 0xff));
                    final int length = head.length();
                    if (length >= 4 && head.charAt(length - 1) == '\n' && head.charAt(length - 2) == '\r'
                            && head.charAt(length - 3) == '\n' && head.charAt(length - 4) == '\r') {
                        startBody();
                    }
                }
                if (inBody && bodyLeft == 0) {
                    return true;
                }
            }
            return inBody && bodyLeft == 0;
        }

        private void startBody() {
            final String text = head.toString();
            status = Integer.parseInt(text.substring(9, 12));
            bodyLeft = -1;
            for (final String line : text.split("\r\n")) {
                if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                    bodyLeft = Long.parseLong(line.substring(15).trim());
                }
            }
            if (bodyLeft < 0) {
                throw new IllegalStateException("an answer without Content-Length (chunked?): " + text);
            }
            inBody = true;
        }

        void reset() {
            head.setLength(0);
            inBody = false;
            bodyLeft = 0;
            status = 0;
        }
    }
}
