package dev.persona.bench.suite;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpHeader;

import java.time.Duration;
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
 * {@code connections} keep-alive connections (Jetty's client); one due while all are busy waits, and the wait counts.
 * Latencies are recorded in an HdrHistogram (1 µs to 60 s, 3 significant digits).
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

    private final HttpClient client;

    OpenLoop(final int connections) throws Exception {
        client = new HttpClient();
        client.setMaxConnectionsPerDestination(connections);
        client.setMaxRequestsQueuedPerDestination(1 << 20);
        client.setIdleTimeout(30_000);
        client.start();
    }

    /**
     * Sends {@code rate} requests a second for {@code warmup} (not recorded), then for {@code duration}.
     *
     * @param url  the URL of request number {@code i}, given a random record number
     * @param bearer the API key, or null for none
     */
    Run run(final String target, final LongFunction<String> url, final int records, final String bearer, final double rate,
            final Duration warmup, final Duration duration) throws InterruptedException {
        send(url, records, bearer, rate, warmup, new Recorder(3), new Histogram(3), new AtomicLong(), new AtomicLong());
        final Recorder recorder = new Recorder(TimeUnit.SECONDS.toMicros(60), 3);
        final Histogram late = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        final AtomicLong errors = new AtomicLong();
        final AtomicLong outstanding = new AtomicLong();
        final long sent = send(url, records, bearer, rate, duration, recorder, late, errors, outstanding);
        // Every request answered (or timed out) before the histogram is read.
        final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (outstanding.get() > 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000);
        }
        errors.addAndGet(outstanding.get());
        final Histogram histogram = recorder.getIntervalHistogram();
        return new Run(target, rate, sent, errors.get(), duration.toNanos() / 1e9, histogram.getValueAtPercentile(50),
                histogram.getValueAtPercentile(99), histogram.getValueAtPercentile(99.9), histogram.getMaxValue(),
                late.getValueAtPercentile(99), late.getMaxValue());
    }

    private long send(final LongFunction<String> url, final int records, final String bearer, final double rate, final Duration duration,
                      final Recorder recorder, final Histogram late, final AtomicLong errors, final AtomicLong outstanding) {
        final double interval = 1e9 / rate;
        final long count = (long) (rate * duration.toNanos() / 1e9);
        final long start = System.nanoTime();
        for (long i = 0; i < count; i++) {
            final long due = start + (long) (i * interval);
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            late.recordValue(Math.max(0, (System.nanoTime() - due) / 1_000));
            final Request request = client.newRequest(url.apply(1 + ThreadLocalRandom.current().nextLong(records)))
                    .timeout(30, TimeUnit.SECONDS);
            if (bearer != null) {
                request.headers(headers -> headers.put(HttpHeader.AUTHORIZATION, "Bearer " + bearer));
            }
            outstanding.incrementAndGet();
            request.send(result -> {
                if (result.isFailed() || result.getResponse().getStatus() != 200) {
                    errors.incrementAndGet();
                }
                recorder.recordValue(Math.max(1, (System.nanoTime() - due) / 1_000));
                outstanding.decrementAndGet();
            });
        }
        return count;
    }

    @Override
    public void close() throws Exception {
        client.stop();
    }
}
