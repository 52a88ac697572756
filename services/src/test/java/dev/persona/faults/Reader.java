package dev.persona.faults;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Looks base keys up at a steady rate (50 a second) on the instances that are up, as a load balancer would send
 * them, and counts every answer: a base key always exists, so a 404 is a wrong answer, and so is an answer from a
 * standby copy whose {@code X-Persona-Lag} is beyond the lag bound ({@code kafka.maxStaleLag}); a 5xx other than 503 is a
 * failure; a 503 or a refused connection is unavailability. A window of unavailability runs from the first such
 * answer after a good one to the next good one; a phase reports its longest.
 */
final class Reader implements AutoCloseable {
    /** The suite's instances run with the default {@code kafka.maxStaleLag}. */
    static final long MAX_STALE_LAG = dev.persona.config.KafkaSettings.DEFAULT_MAX_STALE_LAG;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Supplier<List<Integer>> ports;
    private final String key;
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicLong answered = new AtomicLong();
    final AtomicLong wrong = new AtomicLong();
    final AtomicLong staleAnswers = new AtomicLong();
    final AtomicLong serverErrors = new AtomicLong();
    final AtomicLong unavailable = new AtomicLong();
    private final AtomicLong longestWindowNanos = new AtomicLong();
    private long windowStart = -1;
    final ConcurrentLinkedQueue<String> examples = new ConcurrentLinkedQueue<>();
    /** The first answers of each phase that were not answers (503s, refused connections), with why: for the report. */
    final ConcurrentLinkedQueue<String> unavailableExamples = new ConcurrentLinkedQueue<>();

    Reader(final Supplier<List<Integer>> ports, final String key) {
        this.ports = ports;
        this.key = key;
        this.thread = new Thread(this::loop, "fault-reader");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void loop() {
        final Random random = new Random(7);
        while (running.get()) {
            final List<Integer> up = ports.get();
            if (!up.isEmpty()) {
                final int port = up.get(random.nextInt(up.size()));
                final long id = 1 + random.nextInt(Workload.BASE);
                try {
                    final HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + port + "/v1/collections/people/records/id/" + id))
                            .header("Authorization", "Bearer " + key).timeout(Duration.ofSeconds(5)).GET().build(),
                            HttpResponse.BodyHandlers.ofString());
                    final long lag = response.headers().firstValueAsLong("X-Persona-Lag").orElse(0);
                    count(lag > MAX_STALE_LAG ? 404 : response.statusCode(), port + " id " + id + ": " + response.statusCode()
                            + (lag > 0 ? " stale by " + lag : "") + " " + response.body());
                } catch (final IOException e) {
                    unavailable();
                    rememberUnavailable(port + " id " + id + ": " + e);
                } catch (final InterruptedException e) {
                    return;
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    private void count(final int status, final String example) {
        if (status == 200) {
            answered.incrementAndGet();
            if (example.contains(" stale by ")) {
                staleAnswers.incrementAndGet();
            }
            if (windowStart >= 0) {
                final long window = System.nanoTime() - windowStart;
                longestWindowNanos.accumulateAndGet(window, Math::max);
                windowStart = -1;
            }
        } else if (status == 404) {
            wrong.incrementAndGet();
            remember(example);
        } else if (status == 503) {
            unavailable();
            rememberUnavailable(example);
        } else {
            serverErrors.incrementAndGet();
            remember(example);
        }
    }

    private void unavailable() {
        unavailable.incrementAndGet();
        if (windowStart < 0) {
            windowStart = System.nanoTime();
        }
    }

    private void rememberUnavailable(final String example) {
        if (unavailableExamples.size() < 5) {
            unavailableExamples.add(example.length() > 300 ? example.substring(0, 300) : example);
        }
    }

    private void remember(final String example) {
        if (examples.size() < 10) {
            examples.add(example.length() > 300 ? example.substring(0, 300) : example);
        }
    }

    /** The longest window of unavailability since the last call, in ms (0 when there was none); starts the next count. */
    long takeLongestWindowMs() {
        return TimeUnit.NANOSECONDS.toMillis(longestWindowNanos.getAndSet(0));
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join(10_000);
    }
}
