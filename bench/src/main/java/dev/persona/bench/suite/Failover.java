package dev.persona.bench.suite;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.topology.Json;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The unavailability window when one of two instances (one standby each) is killed with {@code kill -9}: lookups
 * of random customers go to the survivor throughout, as behind a load balancer that has dropped the dead one; the
 * window is from the first failed lookup after the kill to the last.
 */
final class Failover {
    private static final int CLIENTS = 8;

    private Failover() {
    }

    /** Lookups (ms after the kill, status; -1 for an I/O error) that did not answer 200, and the totals. */
    record Figures(double windowMillis, long failed, long total, long stale, List<long[]> failures, double observedSeconds) {
    }

    static Figures measure(final BenchSuite.Dataset data, final ChildInstance victim, final List<String> jvm, final int records)
            throws Exception {
        try (ChildInstance survivor = data.start(jvm, "b")) {
            awaitSettled(survivor, Duration.ofMinutes(3));
            final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            final AtomicBoolean running = new AtomicBoolean(true);
            final AtomicLong total = new AtomicLong();
            final AtomicLong stale = new AtomicLong();
            final AtomicLong killedAt = new AtomicLong(Long.MAX_VALUE);
            final ConcurrentLinkedQueue<long[]> failures = new ConcurrentLinkedQueue<>();
            final List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                final Thread thread = new Thread(() -> {
                    while (running.get()) {
                        final HttpRequest request = HttpRequest.newBuilder(URI.create(survivor.url() + "/v1/collections/customers/records/user_id/"
                                        + (1 + ThreadLocalRandom.current().nextInt(records))))
                                .header("Authorization", "Bearer " + ChildInstance.ADMIN_KEY).timeout(Duration.ofSeconds(5)).build();
                        int status;
                        try {
                            final HttpResponse<Void> response = client.send(request, HttpResponse.BodyHandlers.discarding());
                            status = response.statusCode();
                            if (response.headers().firstValue("X-Persona-Stale").isPresent()) {
                                stale.incrementAndGet();
                            }
                        } catch (final IOException e) {
                            status = -1;
                        } catch (final InterruptedException e) {
                            return;
                        }
                        total.incrementAndGet();
                        if (status != 200) {
                            failures.add(new long[]{System.nanoTime() - killedAt.get(), status});
                        }
                    }
                }, "failover-load-" + i);
                thread.setDaemon(true);
                thread.start();
                threads.add(thread);
            }
            final long start = System.nanoTime();
            Thread.sleep(3_000);
            killedAt.set(System.nanoTime());
            victim.kill();
            // The dead member leaves the group after the session timeout (10 s); its partitions then move to the survivor.
            Thread.sleep(20_000);
            running.set(false);
            for (final Thread thread : threads) {
                thread.join(10_000);
            }
            final List<long[]> after = failures.stream().filter(f -> f[0] >= 0).map(f -> new long[]{f[0] / 1_000_000, f[1]}).toList();
            final double window = after.isEmpty() ? 0 : after.get(after.size() - 1)[0] - after.stream().mapToLong(f -> f[0]).min().orElse(0);
            return new Figures(window, after.size(), total.get(), stale.get(), after, (System.nanoTime() - start) / 1e9);
        }
    }

    /**
     * Until both instances are running and each holds every partition of every store, as active or standby,
     * caught up, for three seconds in a row. (Actives move to a new instance only at Kafka Streams' next probing
     * rebalance, up to 10 minutes later; until then the killed instance owns them all: the worst case.)
     */
    static void awaitSettled(final ChildInstance instance, final Duration timeout) throws Exception {
        awaitSettled(instance, 2, timeout);
    }

    /**
     * Until {@code count} instances run, none restoring, every copy caught up; with two, each holding all four
     * partitions (one standby of each), with more, each holding some.
     */
    static void awaitSettled(final ChildInstance instance, final int count, final Duration timeout) throws Exception {
        final HttpClient client = HttpClient.newHttpClient();
        final HttpRequest request = HttpRequest.newBuilder(URI.create(instance.url() + "/admin/cluster"))
                .header("Authorization", "Bearer " + ChildInstance.ADMIN_KEY).build();
        final long deadline = System.nanoTime() + timeout.toNanos();
        long settledSince = 0;
        while (System.nanoTime() < deadline) {
            final JsonNode cluster = Json.mapper().readTree(client.send(request, HttpResponse.BodyHandlers.ofString()).body());
            final boolean settled = settled(cluster, count);
            if (!settled) {
                settledSince = 0;
            } else if (settledSince == 0) {
                settledSince = System.nanoTime();
            } else if (System.nanoTime() - settledSince > 3_000_000_000L) {
                return;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(count + " instances did not settle with standbys within " + timeout.toSeconds() + " s");
    }

    private static boolean settled(final JsonNode cluster, final int count) {
        final JsonNode instances = cluster.path("instances");
        if (instances.size() != count) {
            return false;
        }
        for (final JsonNode instance : instances) {
            if (!"RUNNING".equals(instance.path("state").asText()) || instance.path("stores").isEmpty()) {
                return false;
            }
            for (final JsonNode store : instance.path("stores")) {
                final int held = store.path("active").size() + store.path("standby").size();
                if ((count == 2 ? held != 4 : held == 0) || !store.path("restoring").isEmpty()) {
                    return false;
                }
                for (final JsonNode lag : store.path("offsetLag")) {
                    if (lag.asLong() > 1) {
                        return false;
                    }
                }
            }
        }
        return true;
    }
}
