package dev.persona.bench.suite;

import dev.persona.client.PersonaClient;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What more instances add ({@code bench/run suite --phases cluster}): lookups by id of a dataset of its own, on one
 * instance (and webdis over Redis with the same records, for reference), then on two and three (one standby of each
 * partition), with all the load sent to one instance as a load balancer's share would be, with the load spread over
 * all, and through the JVM client, which sends each lookup to the key's owner; with {@code kafka.readFrom: owner} (a
 * key the instance does not own is forwarded to its owner) and {@code nearest} (the instance's standby copy answers
 * within {@code maxStaleLag}; three instances then hold two standbys of each partition, so that each holds every one).
 * Rates per second, p99, and the instances' CPU per lookup; every run has the same connections (wrk's split between
 * the instances when spread; the client's as as many threads).
 */
final class ClusterScaling {
    private static final int WARM_SECONDS = 60;
    private static final int IDLE_SECONDS = 20;
    /** The setups of {@link #idle}, as the report finds them. */
    static final String IDLE_LOCAL = "two instances, idle, one lookup at a time: keys the instance owns";
    static final String IDLE_FORWARDED = "two instances, idle, one lookup at a time: keys it forwards to their owner";

    private ClusterScaling() {
    }

    /** One configuration's figures. */
    record Run(String setup, double rps, double p50Millis, double p99Millis, double cpuMicrosPerLookup, long errors) {
    }

    static List<Run> measure(final BenchSuite.Dataset data, final List<String> jvm, final int records, final int seconds,
                             final int connections, final Path home) throws Exception {
        final List<Run> runs = new ArrayList<>();
        final Path owner = data.config;
        final Path nearest = home.resolve(data.name + "-nearest.yaml");
        Files.writeString(nearest, Files.readString(owner).replaceFirst("(?m)^(  standbyReplicas: .*)$", "$1\n  readFrom: nearest"));
        // Three instances each holding every partition: two standbys of each.
        final Path nearest3 = home.resolve(data.name + "-nearest3.yaml");
        Files.writeString(nearest3, Files.readString(nearest).replaceFirst("(?m)^  standbyReplicas: .*$", "  standbyReplicas: 2"));

        try (ChildInstance a = ChildInstance.start(owner, home, data.name + "-a-owner", jvm).awaitReady(Duration.ofMinutes(3))) {
            data.awaitMerged(2L * records, 0, 0);
            run("warm-up, not a result", List.of(a), List.of(a), records, WARM_SECONDS, connections, home);
            runs.add(run("one instance (owns every key)", List.of(a), List.of(a), records, seconds, connections, home));
            runs.add(webdis(a, records, seconds, connections, home));
            try (ChildInstance b = ChildInstance.start(owner, home, data.name + "-b-owner", jvm).awaitReady(Duration.ofMinutes(3))) {
                settle(List.of(a, b), records, connections, home);
                runs.add(run("two instances, all load to one, readFrom: owner", List.of(a), List.of(a, b), records, seconds, connections, home));
                runs.add(run("two instances, load spread over both, readFrom: owner", List.of(a, b), List.of(a, b), records, seconds,
                        connections, home));
                runs.add(routed("two instances, load routed by key (each asked only for the keys it owns)", List.of(a, b), records, seconds,
                        connections, home));
                runs.addAll(idle(a, b, records, home));
                runs.add(client("two instances, through the JVM client (routes by key)", List.of(a, b), records, seconds, connections));
                try (ChildInstance c = ChildInstance.start(owner, home, data.name + "-c-owner", jvm).awaitReady(Duration.ofMinutes(3))) {
                    settle(List.of(a, b, c), records, connections, home);
                    runs.add(run("three instances, load spread over all, readFrom: owner", List.of(a, b, c), List.of(a, b, c), records,
                            seconds, connections, home));
                    runs.add(routed("three instances, load routed by key (each asked only for the keys it owns)", List.of(a, b, c), records,
                            seconds, connections, home));
                    runs.add(client("three instances, through the JVM client (routes by key)", List.of(a, b, c), records, seconds, connections));
                }
            }
        }
        try (ChildInstance a = ChildInstance.start(nearest, home, data.name + "-a-nearest", jvm).awaitReady(Duration.ofMinutes(3));
             ChildInstance b = ChildInstance.start(nearest, home, data.name + "-b-nearest", jvm).awaitReady(Duration.ofMinutes(3))) {
            data.awaitMerged(2L * records, 0, 0);
            settle(List.of(a, b), records, connections, home);
            runs.add(run("two instances, all load to one, readFrom: nearest", List.of(a), List.of(a, b), records, seconds, connections, home));
            runs.add(run("two instances, load spread over both, readFrom: nearest", List.of(a, b), List.of(a, b), records, seconds,
                    connections, home));
        }
        try (ChildInstance a = ChildInstance.start(nearest3, home, data.name + "-a-nearest3", jvm).awaitReady(Duration.ofMinutes(3));
             ChildInstance b = ChildInstance.start(nearest3, home, data.name + "-b-nearest3", jvm).awaitReady(Duration.ofMinutes(3));
             ChildInstance c = ChildInstance.start(nearest3, home, data.name + "-c-nearest3", jvm).awaitReady(Duration.ofMinutes(3))) {
            data.awaitMerged(2L * records, 0, 0);
            settle(List.of(a, b, c), records, connections, home);
            runs.add(run("three instances, load spread over all, readFrom: nearest (2 standbys)", List.of(a, b, c), List.of(a, b, c), records,
                    seconds, connections, home));
        }
        return runs;
    }

    /** Until every instance holds active partitions, then warmed with the spread load (the JIT wants tens of seconds). */
    private static void settle(final List<ChildInstance> instances, final int records, final int connections, final Path home) throws Exception {
        Failover.awaitSettled(instances.get(0), instances.size(), Duration.ofMinutes(3));
        awaitBalanced(instances.get(0), instances.size(), Duration.ofMinutes(4));
        run("warm-up, not a result", instances, instances, records, WARM_SECONDS, connections, home);
    }

    /** webdis over Redis with the same records and connections: the peer of the single-instance figure. */
    private static Run webdis(final ChildInstance source, final int records, final int seconds, final int connections, final Path home)
            throws Exception {
        try (RedisPeer peer = RedisPeer.start(BenchSuite.fetchAll(source, records), home, ChildInstance.freePort(), 2)) {
            final Wrk wrk = new Wrk(Files.createDirectories(home.resolve("wrk-cluster-webdis")), 2, connections, records);
            wrk.webdis(peer.url(), Wrk.Kind.BY_ID, 5);
            final Wrk.Run result = wrk.webdis(peer.url(), Wrk.Kind.BY_ID, seconds);
            final Run run = new Run("webdis over Redis (for reference; its CPU not measured)", result.rps(), result.p50() / 1000.0,
                    result.p99() / 1000.0, Double.NaN,
                    result.errors());
            print(run);
            return run;
        }
    }

    /** Lookups through the JVM client, which sends each to its owner; CPU of all {@code instances}. */
    private static Run client(final String setup, final List<ChildInstance> instances, final int records, final int seconds,
                              final int connections) throws Exception {
        final List<String> urls = instances.stream().map(ChildInstance::url).toList();
        ClientLoad.run(urls, connections, records, 5);
        final List<Duration> cpuBefore = instances.stream().map(ChildInstance::cpuTime).toList();
        final ClientLoad.Result result = ClientLoad.run(urls, connections, records, seconds);
        long cpuNanos = 0;
        for (int i = 0; i < instances.size(); i++) {
            cpuNanos += instances.get(i).cpuTime().minus(cpuBefore.get(i)).toNanos();
        }
        final Run run = new Run(setup + String.format(" (the client's own CPU: %.0f µs/lookup)", result.clientCpuMicrosPerLookup()), result.rps(),
                result.p50Micros() / 1000.0, result.p99Micros() / 1000.0, cpuNanos / 1000.0 / Math.max(1, result.requests()), result.errors());
        print(run);
        return run;
    }

    /**
     * wrk against each instance with only the ids it owns, by the partition map and partitioner that instances
     * publish ({@link PersonaClient#ownerOf}): what a proxy or load balancer that routes by key sends, without a Java
     * client's own cost on the same cores.
     */
    private static Run routed(final String setup, final List<ChildInstance> instances, final int records, final int seconds,
                              final int connections, final Path home) throws Exception {
        return run(setup, instances, instances, records, seconds, connections, home, ownedIds(instances, records, home));
    }

    /**
     * With no other load, one connection and one lookup at a time for {@link #IDLE_SECONDS}: keys {@code asked} owns,
     * then keys {@code other} owns, which {@code asked} forwards. What a hop adds to a lookup, on a cluster whose data
     * does not change (the cluster dataset has no scheduled syncs).
     */
    private static List<Run> idle(final ChildInstance asked, final ChildInstance other, final int records, final Path home) throws Exception {
        final Map<ChildInstance, Path> ids = ownedIds(List.of(asked, other), records, home);
        final List<Run> runs = new ArrayList<>();
        for (final boolean local : new boolean[] {true, false}) {
            final Wrk wrk = new Wrk(Files.createDirectories(home.resolve("wrk-cluster-idle")), 1, 1, records, ids.get(local ? asked : other));
            wrk.persona(asked.url(), ChildInstance.ADMIN_KEY, Wrk.Kind.BY_ID, 5);
            final Wrk.Run result = wrk.persona(asked.url(), ChildInstance.ADMIN_KEY, Wrk.Kind.BY_ID, IDLE_SECONDS);
            final Run run = new Run(local ? IDLE_LOCAL : IDLE_FORWARDED, result.rps(), result.p50() / 1000.0, result.p99() / 1000.0, Double.NaN,
                    result.errors());
            print(run);
            runs.add(run);
        }
        return runs;
    }

    /** For each instance, a file of the ids it owns now, by the partition map the instances publish. */
    private static Map<ChildInstance, Path> ownedIds(final List<ChildInstance> instances, final int records, final Path home) throws Exception {
        final Map<String, List<String>> owned = new HashMap<>();
        try (PersonaClient client = PersonaClient.builder().endpoints(instances.stream().map(ChildInstance::url).toArray(String[]::new))
                .apiKey(ChildInstance.ADMIN_KEY).build()) {
            for (int id = 1; id <= records; id++) {
                final java.net.URI owner = client.ownerOf("customers", Integer.toString(id));
                owned.computeIfAbsent(owner == null ? "none" : owner.getAuthority(), o -> new ArrayList<>()).add(Integer.toString(id));
            }
        }
        final Map<ChildInstance, Path> ids = new HashMap<>();
        for (final ChildInstance instance : instances) {
            final List<String> mine = owned.get("127.0.0.1:" + instance.port());
            if (mine == null) {
                throw new IllegalStateException("the partition map names no partition owned by " + instance.url() + ": " + owned.keySet());
            }
            ids.put(instance, Files.write(home.resolve("ids-owned-by-" + instance.port() + ".txt"), mine));
        }
        return ids;
    }

    private static void print(final Run run) {
        System.out.printf("cluster: %-62s %,8.0f req/s  p50 %6.3f ms  p99 %6.2f ms  CPU %5.1f µs/lookup  errors %d%n", run.setup(), run.rps(),
                run.p50Millis(), run.p99Millis(), run.cpuMicrosPerLookup(), run.errors());
    }

    /**
     * Until each instance owns active partitions: a new instance first restores its copies as standbys and takes
     * actives at the next probing rebalance (the cluster dataset sets it to a minute), and a settled cluster whose
     * actives all sit on one instance would measure a forward for every lookup sent to the other.
     */
    private static void awaitBalanced(final ChildInstance instance, final int count, final Duration timeout) throws Exception {
        final java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        final java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(instance.url() + "/admin/cluster"))
                .header("Authorization", "Bearer " + ChildInstance.ADMIN_KEY).build();
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            final com.fasterxml.jackson.databind.JsonNode cluster = dev.persona.topology.Json.mapper()
                    .readTree(client.send(request, java.net.http.HttpResponse.BodyHandlers.ofString()).body());
            boolean balanced = cluster.path("instances").size() == count;
            for (final com.fasterxml.jackson.databind.JsonNode each : cluster.path("instances")) {
                balanced &= each.path("stores").path("records-customers").path("active").size() >= 1;
            }
            if (balanced) {
                Failover.awaitSettled(instance, count, Duration.ofMinutes(3));
                return;
            }
            Thread.sleep(1_000);
        }
        throw new IllegalStateException("the " + count + " instances did not share the active partitions within " + timeout.toSeconds() + " s");
    }

    /** wrk against each of {@code targets} at once (the connections split between them); CPU of all {@code instances}. */
    private static Run run(final String setup, final List<ChildInstance> targets, final List<ChildInstance> instances, final int records,
                           final int seconds, final int connections, final Path home) throws Exception {
        return run(setup, targets, instances, records, seconds, connections, home, Map.of());
    }

    /** As above; {@code ids} names, for a target, the file of the only ids it is asked for. */
    private static Run run(final String setup, final List<ChildInstance> targets, final List<ChildInstance> instances, final int records,
                           final int seconds, final int connections, final Path home, final Map<ChildInstance, Path> ids) throws Exception {
        final List<Duration> cpuBefore = instances.stream().map(ChildInstance::cpuTime).toList();
        final ExecutorService pool = Executors.newFixedThreadPool(targets.size());
        // wrk's connections are split between the targets; with three, the remainder goes to the first.
        final List<Future<Wrk.Run>> pending = new ArrayList<>();
        try {
            for (final ChildInstance target : targets) {
                final int share = connections / targets.size() + (target == targets.get(0) ? connections % targets.size() : 0);
                final Wrk wrk = new Wrk(Files.createDirectories(home.resolve("wrk-cluster-" + target.port())), targets.size() == 1 ? 2 : 1,
                        share, records, ids.get(target));
                pending.add(pool.submit((Callable<Wrk.Run>) () -> wrk.persona(target.url(), ChildInstance.ADMIN_KEY, Wrk.Kind.BY_ID, seconds)));
            }
            long requests = 0;
            long errors = 0;
            double rps = 0;
            long p50 = 0;
            long p99 = 0;
            for (final Future<Wrk.Run> future : pending) {
                final Wrk.Run result = future.get();
                requests += result.requests();
                errors += result.errors();
                rps += result.rps();
                p50 = Math.max(p50, result.p50());
                p99 = Math.max(p99, result.p99());
            }
            long cpuNanos = 0;
            for (int i = 0; i < instances.size(); i++) {
                cpuNanos += instances.get(i).cpuTime().minus(cpuBefore.get(i)).toNanos();
            }
            final Run run = new Run(setup, rps, p50 / 1000.0, p99 / 1000.0, cpuNanos / 1000.0 / Math.max(1, requests), errors);
            print(run);
            return run;
        } finally {
            pool.shutdownNow();
        }
    }
}
