package dev.persona.bench;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * What this machine charges for the two things a forwarded lookup adds when nothing else runs
 * ({@code bench/run wakeup}): waking a sleeping thread, and a loopback TCP round trip between two sleeping threads
 * (what one instance asking another costs at the least: the owner's selector wakes to read the call, the asker's to
 * read the answer). One at a time, with a pause between, so that every step finds the other thread asleep, as an idle
 * instance's selectors are. p50, p99 and p99.9 in microseconds: a hop cannot add less at p99 than the round trip's p99
 * on the same machine.
 */
public final class WakeupBenchmark {
    private WakeupBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        final Map<String, String> options = Options.parse(args);
        final int rounds = Integer.parseInt(options.getOrDefault("rounds", "20000"));
        final long pauseNanos = Long.parseLong(options.getOrDefault("pause-us", "200")) * 1_000;
        System.out.printf("%d rounds each, %d µs apart, %d cores%n", rounds, pauseNanos / 1_000, Runtime.getRuntime().availableProcessors());
        print("thread wake-up (unpark to running)", wakeups(rounds, pauseNanos));
        print("loopback TCP round trip, 1 byte each way", roundTrips(rounds, pauseNanos));
    }

    private static void print(final String what, final Histogram histogram) {
        System.out.printf("%-45s p50 %7.1f µs   p99 %8.1f µs   p99.9 %8.1f µs   max %8.1f µs%n", what,
                histogram.getValueAtPercentile(50) / 1000.0, histogram.getValueAtPercentile(99) / 1000.0,
                histogram.getValueAtPercentile(99.9) / 1000.0, histogram.getMaxValue() / 1000.0);
    }

    /**
     * From unpark to the parked thread running, each time after the thread went back to sleep. A return from
     * {@code park} without an unpark (the JDK allows them) parks again rather than counting.
     */
    private static Histogram wakeups(final int rounds, final long pauseNanos) throws InterruptedException {
        final Histogram histogram = new Histogram(3);
        final AtomicLong unparkedAt = new AtomicLong();
        final Object lock = new Object();
        final Thread sleeper = new Thread(() -> {
            for (int i = 0; i < rounds; i++) {
                long since;
                while ((since = unparkedAt.get()) == 0) {
                    LockSupport.park();
                }
                final long woke = System.nanoTime();
                unparkedAt.set(0);
                synchronized (lock) {
                    histogram.recordValue(Math.max(0, woke - since));
                    lock.notifyAll();
                }
            }
        }, "sleeper");
        sleeper.start();
        for (int i = 0; i < rounds; i++) {
            pause(pauseNanos);
            synchronized (lock) {
                final long before = histogram.getTotalCount();
                unparkedAt.set(System.nanoTime());
                LockSupport.unpark(sleeper);
                while (histogram.getTotalCount() == before) {
                    lock.wait();
                }
            }
        }
        sleeper.join();
        return histogram;
    }

    /** A byte to an echoing thread over loopback TCP and back: two wake-ups and four system calls. */
    private static Histogram roundTrips(final int rounds, final long pauseNanos) throws IOException, InterruptedException {
        final Histogram histogram = new Histogram(3);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            final Thread echo = new Thread(() -> {
                try (Socket socket = server.accept(); InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
                    socket.setTcpNoDelay(true);
                    for (int read = in.read(); read >= 0; read = in.read()) {
                        out.write(read);
                    }
                } catch (final IOException e) {
                    // the client closed
                }
            }, "echo");
            echo.start();
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                socket.setTcpNoDelay(true);
                final InputStream in = socket.getInputStream();
                final OutputStream out = socket.getOutputStream();
                for (int i = 0; i < rounds; i++) {
                    pause(pauseNanos);
                    final long start = System.nanoTime();
                    out.write(1);
                    if (in.read() < 0) {
                        throw new IOException("the echo closed");
                    }
                    histogram.recordValue(System.nanoTime() - start);
                }
            }
            echo.join();
        }
        return histogram;
    }

    private static void pause(final long nanos) {
        final long until = System.nanoTime() + nanos;
        while (System.nanoTime() < until) {
            LockSupport.parkNanos(until - System.nanoTime());
        }
    }
}
