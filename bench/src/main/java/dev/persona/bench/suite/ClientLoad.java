package dev.persona.bench.suite;

import dev.persona.client.PersonaClient;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop load through the JVM client ({@code persona-client}): {@code threads} threads, each asking for random
 * ids one after the other, as wrk's connections do; the client sends each to the instance that owns the key.
 */
final class ClientLoad {
    private ClientLoad() {
    }

    /** What the threads measured together. */
    record Result(long requests, long errors, double seconds, long p50Micros, long p99Micros, double clientCpuMicrosPerLookup) {
        double rps() {
            return requests / seconds;
        }
    }

    static Result run(final List<String> urls, final int threads, final int records, final int seconds) throws InterruptedException {
        final PersonaClient client = PersonaClient.builder().endpoints(urls.toArray(String[]::new)).apiKey(ChildInstance.ADMIN_KEY)
                // Every lookup a fresh random id: no 304s to flatter the figures.
                .etagCacheSize(0).build();
        final Histogram latencies = new Histogram(60_000_000L, 3);
        final AtomicLong errors = new AtomicLong();
        final AtomicLong workerCpu = new AtomicLong();
        final java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        client.get("customers", "1");
        final long selectorBefore = httpClientCpu(cpu);
        final long end = System.nanoTime() + seconds * 1_000_000_000L;
        final List<Thread> workers = new ArrayList<>();
        final long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            final Thread worker = new Thread(() -> {
                final Histogram own = new Histogram(60_000_000L, 3);
                while (System.nanoTime() < end) {
                    final long begin = System.nanoTime();
                    try {
                        if (client.get("customers", Integer.toString(1 + ThreadLocalRandom.current().nextInt(records))).isEmpty()) {
                            errors.incrementAndGet();
                        }
                    } catch (final RuntimeException e) {
                        errors.incrementAndGet();
                    }
                    own.recordValue(Math.min((System.nanoTime() - begin) / 1_000, 60_000_000L));
                }
                workerCpu.addAndGet(cpu.getCurrentThreadCpuTime());
                synchronized (latencies) {
                    latencies.add(own);
                }
            }, "client-load-" + t);
            workers.add(worker);
            worker.start();
        }
        for (final Thread worker : workers) {
            worker.join();
        }
        final double elapsed = (System.nanoTime() - start) / 1e9;
        final long clientCpu = workerCpu.get() + httpClientCpu(cpu) - selectorBefore;
        client.close();
        final long count = Math.max(1, latencies.getTotalCount());
        return new Result(latencies.getTotalCount(), errors.get(), elapsed, latencies.getValueAtPercentile(50), latencies.getValueAtPercentile(99),
                clientCpu / 1000.0 / count);
    }

    /** CPU time of the JDK HttpClient's own threads (its selector) in this JVM. */
    private static long httpClientCpu(final java.lang.management.ThreadMXBean cpu) {
        long total = 0;
        for (final java.lang.management.ThreadInfo thread : cpu.getThreadInfo(cpu.getAllThreadIds())) {
            if (thread != null && thread.getThreadName().startsWith("HttpClient-")) {
                total += Math.max(0, cpu.getThreadCpuTime(thread.getThreadId()));
            }
        }
        return total;
    }
}
