package dev.persona.bench.suite;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What a second instance adds ({@code bench/run suite --phases cluster}): lookups by id of a dataset of its own, on one
 * instance, then on two (one standby each, so each holds every partition: half active, half standby), with all the
 * load sent to one instance as a load balancer's share would be, and with the load spread over both; each with
 * {@code kafka.readFrom: owner} (a key the instance does not own is forwarded to its owner) and {@code nearest} (the
 * instance's standby copy answers within {@code maxStaleLag}). Rates per second, p99, and the instances' CPU per
 * lookup; every run is wrk with the same connections in all (split between the two wrk processes when spread).
 */
final class ClusterScaling {
    private ClusterScaling() {
    }

    /** One configuration's figures. */
    record Run(String setup, double rps, double p99Millis, double cpuMicrosPerLookup, long errors) {
    }

    static List<Run> measure(final BenchSuite.Dataset data, final List<String> jvm, final int records, final int seconds,
                             final int connections, final Path home) throws Exception {
        final List<Run> runs = new ArrayList<>();
        final Path nearest = home.resolve(data.name + "-nearest.yaml");
        Files.writeString(nearest, Files.readString(data.config).replaceFirst("(?m)^(  standbyReplicas: .*)$", "$1\n  readFrom: nearest"));
        for (final Path config : List.of(data.config, nearest)) {
            final String mode = config.equals(nearest) ? "nearest" : "owner";
            try (ChildInstance a = ChildInstance.start(config, home, data.name + "-a-" + mode, jvm).awaitReady(Duration.ofMinutes(3))) {
                data.awaitMerged(2L * records, 0, 0);
                if (mode.equals("owner")) {
                    warm(a, records, home);
                    runs.add(run("one instance (owns every key)", List.of(a), List.of(a), records, seconds, connections, home));
                }
                try (ChildInstance b = ChildInstance.start(config, home, data.name + "-b-" + mode, jvm).awaitReady(Duration.ofMinutes(3))) {
                    Failover.awaitSettled(a, Duration.ofMinutes(3));
                    awaitBalanced(a, Duration.ofMinutes(4));
                    warm(a, records, home);
                    warm(b, records, home);
                    runs.add(run("two instances, all load to one, readFrom: " + mode, List.of(a), List.of(a, b), records, seconds, connections, home));
                    runs.add(run("two instances, load spread over both, readFrom: " + mode, List.of(a, b), List.of(a, b), records, seconds,
                            connections, home));
                }
            }
        }
        return runs;
    }

    /**
     * Until each instance owns active partitions: a new instance first restores its copies as standbys and takes
     * actives at the next probing rebalance (the cluster dataset sets it to a minute), and a settled cluster whose
     * actives all sit on one instance would measure a forward for every lookup sent to the other.
     */
    private static void awaitBalanced(final ChildInstance instance, final Duration timeout) throws Exception {
        final java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        final java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(instance.url() + "/admin/cluster"))
                .header("Authorization", "Bearer " + ChildInstance.ADMIN_KEY).build();
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            final com.fasterxml.jackson.databind.JsonNode cluster = dev.persona.topology.Json.mapper()
                    .readTree(client.send(request, java.net.http.HttpResponse.BodyHandlers.ofString()).body());
            boolean balanced = cluster.path("instances").size() == 2;
            for (final com.fasterxml.jackson.databind.JsonNode each : cluster.path("instances")) {
                balanced &= each.path("stores").path("records-customers").path("active").size() == 2;
            }
            if (balanced) {
                Failover.awaitSettled(instance, Duration.ofMinutes(3));
                return;
            }
            Thread.sleep(1_000);
        }
        throw new IllegalStateException("the two instances did not share the active partitions within " + timeout.toSeconds() + " s");
    }

    private static void warm(final ChildInstance instance, final int records, final Path home) throws Exception {
        new Wrk(Files.createDirectories(home.resolve("wrk-warm-" + instance.port())), 2, 16, records)
                .persona(instance.url(), ChildInstance.ADMIN_KEY, Wrk.Kind.BY_ID, 5);
    }

    /** wrk against each of {@code targets} at once (the connections split between them); CPU of all {@code instances}. */
    private static Run run(final String setup, final List<ChildInstance> targets, final List<ChildInstance> instances, final int records,
                           final int seconds, final int connections, final Path home) throws Exception {
        final List<Duration> cpuBefore = instances.stream().map(ChildInstance::cpuTime).toList();
        final ExecutorService pool = Executors.newFixedThreadPool(targets.size());
        final List<Future<Wrk.Run>> pending = new ArrayList<>();
        try {
            for (final ChildInstance target : targets) {
                final Wrk wrk = new Wrk(Files.createDirectories(home.resolve("wrk-cluster-" + target.port())), targets.size() == 1 ? 2 : 1,
                        connections / targets.size(), records);
                pending.add(pool.submit((Callable<Wrk.Run>) () -> wrk.persona(target.url(), ChildInstance.ADMIN_KEY, Wrk.Kind.BY_ID, seconds)));
            }
            long requests = 0;
            long errors = 0;
            double rps = 0;
            long p99 = 0;
            for (final Future<Wrk.Run> future : pending) {
                final Wrk.Run result = future.get();
                requests += result.requests();
                errors += result.errors();
                rps += result.rps();
                p99 = Math.max(p99, result.p99());
            }
            long cpuNanos = 0;
            for (int i = 0; i < instances.size(); i++) {
                cpuNanos += instances.get(i).cpuTime().minus(cpuBefore.get(i)).toNanos();
            }
            final Run run = new Run(setup, rps, p99 / 1000.0, cpuNanos / 1000.0 / Math.max(1, requests), errors);
            System.out.printf("cluster: %-62s %,8.0f req/s  p99 %6.2f ms  CPU %5.1f µs/lookup  errors %d%n", run.setup(), run.rps(),
                    run.p99Millis(), run.cpuMicrosPerLookup(), run.errors());
            return run;
        } finally {
            pool.shutdownNow();
        }
    }
}
