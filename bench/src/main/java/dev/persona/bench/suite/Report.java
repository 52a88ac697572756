package dev.persona.bench.suite;

import dev.persona.bench.FreshnessBenchmark;
import dev.persona.topology.Json;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Writes what a suite run measured: SUMMARY.md (targets), REPORT.md (everything, with charts), results.json. */
final class Report {
    private Report() {
    }

    static void write(final BenchSuite.Results r, final Path out) throws IOException {
        System.setProperty("java.awt.headless", "true");
        final StringBuilder summary = new StringBuilder();
        summary.append("| target | goal | measured | met |\n| --- | --- | --- | --- |\n");
        final Map<Wrk.Kind, List<BenchSuite.Pair>> byKind = r.byKind();
        final List<BenchSuite.Pair> singles = byKind.getOrDefault(Wrk.Kind.BY_ID, List.of());
        if (!singles.isEmpty()) {
            final double ratio = median(singles.stream().map(BenchSuite.Pair::ratio).toList());
            final double p99 = median(singles.stream().map(p -> p.persona().p99() / 1000.0).toList());
            target(summary, "lookup throughput vs webdis over Redis (single, by id, " + r.connections + " connections)", "≥ 1.2×",
                    f("%.2f× (median of %d A/B pairs)", ratio, singles.size()), ratio >= 1.2);
            target(summary, "lookup p99 (single, by id)", "≤ 2 ms", f("%.2f ms", p99), p99 <= 2);
        }
        r.openLoop.stream().filter(p -> p.share() == 0.5).findFirst().ifPresent(half -> target(summary,
                f("open-loop lookup p99 at 50%% of webdis' maximum (%,.0f req/s)", half.persona().rate()), "≤ 2 ms",
                f("%.2f ms (webdis %.2f ms)", half.persona().p99() / 1e3, half.webdis().p99() / 1e3), half.persona().p99() <= 2_000));
        if (r.tails != null) {
            final double ratio = (double) r.tails.duringIngest().p99() / r.tails.quiet().p99();
            target(summary, f("lookup p99 during ingest (%,d rows/s) vs quiet, open loop at %,.0f req/s", r.tails.ingestRowsPerSecond(), r.tails.rate()),
                    "≤ 1.5×", f("%.2f× (%.2f ms vs %.2f ms)", ratio, r.tails.duringIngest().p99() / 1e3, r.tails.quiet().p99() / 1e3), ratio <= 1.5);
            target(summary, "lookup p99 during ingest vs webdis' p99 at the same rate while Redis takes the same writes", "≤", f("%.2f ms vs %.2f ms",
                    r.tails.duringIngest().p99() / 1e3, r.tails.webdis().p99() / 1e3), r.tails.duringIngest().p99() <= r.tails.webdis().p99());
        }
        if (r.ingest != null) {
            target(summary, "ingest, two syncs, partial updates, exactly-once", "≥ 50,000 rows/s", f("%,.0f rows/s", r.ingest.rowsPerSecond()),
                    r.ingest.rowsPerSecond() >= 50_000);
        }
        if (r.freshness != null) {
            final double p99 = r.freshness.latencyMicros().getValueAtPercentile(99) / 1000.0;
            target(summary, "freshness p99 (PostgreSQL commit to visible via the API)", "≤ 500 ms", f("%.1f ms", p99), p99 <= 500);
        }
        if (r.failover != null) {
            target(summary, "failover window (kill -9, one standby)", "< 2 s", f("%.0f ms", r.failover.windowMillis()), r.failover.windowMillis() < 2_000);
        }
        if (r.cluster != null) {
            final double one = cluster(r, "one instance").rps();
            final java.util.function.BiConsumer<String, String> share = (setup, goal) -> {
                final ClusterScaling.Run run = cluster(r, setup);
                if (run != null) {
                    final double wanted = Integer.parseInt(goal.replaceAll("[^0-9]", "")) / 100.0;
                    target(summary, setup + ", vs one instance", goal, f("%.0f%% (%,.0f vs %,.0f req/s)", 100 * run.rps() / one, run.rps(), one),
                            run.rps() >= wanted * one);
                }
            };
            share.accept("two instances, load spread over both, readFrom: owner", "≥ 60%");
            share.accept("two instances, load routed by key", "≥ 90%");
            share.accept("two instances, through the JVM client (routes by key)", "≥ 90%");
            share.accept("two instances, load spread over both, readFrom: nearest", "≥ 90%");
            final ClusterScaling.Run idleLocal = cluster(r, ClusterScaling.IDLE_LOCAL);
            final ClusterScaling.Run idleForwarded = cluster(r, ClusterScaling.IDLE_FORWARDED);
            if (idleLocal != null && idleForwarded != null) {
                final double p50 = idleForwarded.p50Millis() - idleLocal.p50Millis();
                final double p99 = idleForwarded.p99Millis() - idleLocal.p99Millis();
                target(summary, "what a hop adds to a lookup with no load, p50", "≤ 0.3 ms",
                        f("%.3f ms (%.3f vs %.3f ms)", p50, idleForwarded.p50Millis(), idleLocal.p50Millis()), p50 <= 0.3);
                target(summary, "what a hop adds to a lookup with no load, p99", "≤ 1 ms",
                        f("%.3f ms (%.3f vs %.3f ms)", p99, idleForwarded.p99Millis(), idleLocal.p99Millis()), p99 <= 1);
            }
            final ClusterScaling.Run spread = cluster(r, "two instances, load spread over both, readFrom: owner");
            if (spread != null) {
                // Half the lookups of a spread load are forwarded: average = (local + forwarded) / 2. A local lookup's
                // cost is taken from the same two instances with the load routed by key (every lookup local), so that
                // both figures carry the second instance's own background work; one instance's otherwise.
                final ClusterScaling.Run routed = cluster(r, "two instances, load routed by key");
                final ClusterScaling.Run baseline = routed != null ? routed : cluster(r, "one instance");
                final double local = baseline.cpuMicrosPerLookup();
                final double forwarded = 2 * spread.cpuMicrosPerLookup() - local;
                target(summary, "CPU of a forwarded lookup vs a local one (two instances, spread)", "≤ 2.5×",
                        f("%.1f× (%.1f vs %.1f µs, local as in: %s)", forwarded / local, forwarded, local, baseline.setup()), forwarded <= 2.5 * local);
            }
        }
        if (r.memory != null) {
            final long resident = Math.max(r.memory.afterLoadBytes(), r.memory.afterLookupsBytes());
            target(summary, "resident memory, " + f("%,d", r.memory.records()) + " records", "< 1 GiB", f("%,d MiB", resident >> 20), resident < (1L << 30));
        }
        if (r.restore != null) {
            target(summary, f("restore: a new instance restoring %,d records from the changelogs", r.restore.records()), "≥ 100,000 records/s",
                    f("%,.0f records/s (ready in %.1f s)", r.restore.recordsPerSecond(), r.restore.seconds()), r.restore.recordsPerSecond() >= 100_000);
        }
        for (final String failure : r.failed) {
            summary.append("| ").append(failure.replace("|", "/")).append(" | | not measured | **no** |\n");
        }
        Files.writeString(out.resolve("SUMMARY.md"), summary.toString());

        final StringBuilder md = new StringBuilder();
        md.append("# Persona benchmark report, ").append(r.date).append("\n\n")
                .append("Machine: ").append(r.machine).append(". Everything on this one machine: Kafka (one broker, in the driver's JVM), ")
                .append("Persona (`persona serve` in its own JVM: `").append(String.join(" ", r.instanceJvm)).append("`), ")
                .append("Redis and webdis, and wrk as the load generator, over loopback.\n\n")
                .append("Written by `bench/run suite`; the figures below are this run's.\n\n## Targets\n\n").append(summary);
        if (!byKind.isEmpty()) {
            md.append("\n## Lookups, side by side with webdis over Redis\n\n")
                    .append(f("%,d customers shaped like the Hightouch page's example (about 700 bytes of nested JSON, merged from two syncs), ", r.records))
                    .append(f("random ids, wrk with 2 threads and %d keep-alive connections, %d s per run after a warm-up, ", r.connections, r.seconds))
                    .append("Persona and the peer alternated (A B A B ...). The peer holds the very same JSON as Persona serves it, under ")
                    .append("`customer:<id>` and, denormalised, `email:<email>` (one GET for either: its best case); a batch is one `MGET` ")
                    .append("(webdis wraps the values in its JSON answer).\n\n")
                    .append("| lookup | Persona req/s | p50 | p99 | p99.9 | errors | webdis req/s | p50 | p99 | p99.9 | errors | ratio (median) |\n")
                    .append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
            for (final Map.Entry<Wrk.Kind, List<BenchSuite.Pair>> kind : byKind.entrySet()) {
                final List<BenchSuite.Pair> pairs = kind.getValue();
                md.append("| ").append(kind.getKey().label)
                        .append(row(pairs.stream().map(BenchSuite.Pair::persona).toList()))
                        .append(row(pairs.stream().map(BenchSuite.Pair::webdis).toList()))
                        .append(f(" | %.2f× |\n", median(pairs.stream().map(BenchSuite.Pair::ratio).toList())));
            }
            md.append("\nMedians over the rounds; latencies in ms. Every pair:\n\n| lookup | round | Persona req/s | webdis req/s | ratio |\n| --- | --- | --- | --- | --- |\n");
            for (final BenchSuite.Pair p : r.lookups) {
                md.append(f("| %s | %d | %,.0f | %,.0f | %.2f× |\n", p.kind().label, p.round(), p.persona().rps(), p.webdis().rps(), p.ratio()));
            }
            md.append("\n![lookup throughput](lookup-throughput.png)\n\n![lookup latency](lookup-latency.png)\n\n![A/B ratios](lookup-ratio.png)\n");
            lookupCharts(byKind, r.lookups, out);
        }
        if (!r.openLoop.isEmpty()) {
            md.append("\n## Lookups at fixed rates (open loop)\n\n")
                    .append("wrk's closed loop waits for each answer before sending the next request, so a stalled server is sent fewer ")
                    .append("requests and its stall is under-counted (coordinated omission). Here requests are due at a fixed rate whatever ")
                    .append("happened before, and each latency runs from when its request was due (HdrHistogram); the rates are shares of ")
                    .append(f("webdis' closed-loop maximum in the same run, single lookups by id over at most %d connections (Jetty's client), ", r.connections))
                    .append(f("%d s each after 3 s of warm-up.\n\n", r.seconds))
                    .append("The generator's own lateness (p99 of how late it sent) is given beside each run: where it is large, the ")
                    .append("generator or the machine fell behind, not only the server.\n\n")
                    .append("| rate | Persona p50 | p99 | p99.9 | max | errors | sent late (p99) | webdis p50 | p99 | p99.9 | max | errors | sent late (p99) |\n")
                    .append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
            for (final BenchSuite.RatePair p : r.openLoop) {
                md.append(f("| %.0f%%: %,.0f req/s | %s | %s |\n", p.share() * 100, p.persona().rate(), openLoopRow(p.persona()), openLoopRow(p.webdis())));
            }
        }
        if (r.tails != null) {
            final BenchSuite.Tails t = r.tails;
            md.append(f("\n## Lookup tails during ingest\n\nSingle lookups by id at %,.0f req/s (a quarter of webdis' maximum), open loop, ", t.rate()))
                    .append(f("on the quiet instance, then while a producer sends partial updates of the same customers at %,d rows/s ", t.ingestRowsPerSecond()))
                    .append(f("(merged under exactly-once, changelogged and re-indexed; %,d rows not yet merged when the measurement ended), ", t.ingestBacklog()))
                    .append(f("then webdis at the same rate, quiet and while Redis takes the same changed records at %,d a second ", t.redisWritesPerSecond()))
                    .append("(each SET under its id and its email, pipelined each millisecond):\n\n")
                    .append("| | p50 | p99 | p99.9 | max | errors | sent late (p99) |\n| --- | --- | --- | --- | --- | --- | --- |\n")
                    .append("| Persona, quiet | ").append(openLoopRow(t.quiet())).append(" |\n")
                    .append("| Persona, during ingest | ").append(openLoopRow(t.duringIngest())).append(" |\n")
                    .append("| webdis, quiet | ").append(openLoopRow(t.webdisQuiet())).append(" |\n")
                    .append("| webdis, while Redis takes the writes | ").append(openLoopRow(t.webdis())).append(" |\n");
        }
        if (r.ingest != null) {
            md.append(f("\n## Ingest\n\n%,d change rows into one collection of %,d customers (4 partitions): each customer's profiles row and ", r.ingest.rows(), r.records))
                    .append("activity row (two topic syncs, merged into one record), then a partial update of every customer (profiles only). ")
                    .append("The instance first merges a warm-up set of other customers (so that the figure is a running instance's, not its JIT's); ")
                    .append("the rows are copartitioned topics' (read in place). The rate runs from the first row sent to the moment every ")
                    .append("row, including the secondary-index repartition, is merged and committed (exactly-once v2, commit interval 100 ms).\n\n")
                    .append(f("**%,.0f rows/s** (%,d rows in %.1f s).", r.ingest.rowsPerSecond(), r.ingest.rows(), r.ingest.seconds()));
            if (r.ingestCpu != null) {
                md.append(f(" CPU per row: the instance %.1f µs, the driver JVM (broker and the producer sending the rows) %.1f µs; ",
                                r.ingestCpu.instanceMicros(), r.ingestCpu.driverMicros()))
                        .append("on two cores, their sum bounds the rate.");
            }
            md.append("\n\n![ingest](ingest.png)\n");
            ingestChart(r.ingest, out.resolve("ingest.png"), "Ingest: rows merged and committed");
        }
        if (r.freshness != null) {
            final FreshnessBenchmark.Figures fr = r.freshness;
            md.append(f("\n## Freshness\n\n%d updates committed one after another in PostgreSQL, each polled through the API until visible (CDC: ", fr.changes()))
                    .append("Debezium's embedded PostgreSQL connector, exactly-once merge):\n\n| p50 | p90 | p99 | max |\n| --- | --- | --- | --- |\n")
                    .append(f("| %.1f ms | %.1f ms | %.1f ms | %.1f ms |\n\n", ms(fr.latencyMicros().getValueAtPercentile(50)),
                            ms(fr.latencyMicros().getValueAtPercentile(90)), ms(fr.latencyMicros().getValueAtPercentile(99)), ms(fr.latencyMicros().getMaxValue())))
                    .append(f("Then one %,d-row INSERT, from its commit until its last row is visible: %,.0f rows/s.\n\n![freshness](freshness.png)\n",
                            fr.bulkRows(), fr.bulkRowsPerSecond()));
            freshnessChart(fr, out.resolve("freshness.png"));
        }
        if (r.failover != null) {
            final Failover.Figures fo = r.failover;
            md.append("\n## Failover\n\nTwo instances, one standby of every partition; lookups of random customers from 8 clients go to the ")
                    .append("survivor throughout; the other is killed with `kill -9` (the group notices after its 10 s session timeout; ")
                    .append("until then the survivor answers the dead owner's keys from its standby copies, marked stale).\n\n")
                    .append("| unavailability window | failed lookups | lookups | answered from a standby (stale) |\n| --- | --- | --- | --- |\n")
                    .append(f("| %.0f ms | %,d | %,d | %,d |\n\n![failover](failover.png)\n", fo.windowMillis(), fo.failed(), fo.total(), fo.stale()));
            failoverChart(fo, out.resolve("failover.png"));
        }
        if (r.cluster != null) {
            md.append("\n## Cluster\n\nLookups by id of 100,000 customers of a dataset of their own, with the same connections in every ")
                    .append("run (wrk's split between the instances when the load is spread; the JVM client's as as many threads, each ")
                    .append("lookup sent to the key's owner); one standby of every partition (two for three instances with `nearest`, so ")
                    .append("that each holds all of them). `owner` forwards a key to its owner; `nearest` answers from the instance's own ")
                    .append("copy within `maxStaleLag`. CPU: all instances' CPU time over the lookups answered.\n\n")
                    .append("| setup | req/s | p50 | p99 | CPU per lookup | errors |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
            r.cluster.forEach(c -> md.append(f("| %s | %,.0f | %.3f ms | %.2f ms | %s | %d |\n", c.setup(), c.rps(), c.p50Millis(), c.p99Millis(),
                    Double.isNaN(c.cpuMicrosPerLookup()) ? "—" : f("%.1f µs", c.cpuMicrosPerLookup()), c.errors())));
        }
        if (r.memory != null) {
            final BenchSuite.Memory m = r.memory;
            md.append(f("\n## Memory\n\nOne instance holding %,d customers (%,d change rows from two syncs), JVM `%s`, ", m.records(), m.ingest().rows(),
                            String.join(" ", r.instanceJvm)))
                    .append("RocksDB's block cache and memtables bounded by `kafka.rocksdbMemoryMb` (256 MiB):\n\n")
                    .append("| after loading | after lookups | loaded at | lookups (single, by id) |\n| --- | --- | --- | --- |\n")
                    .append(f("| %,d MiB | %,d MiB | %,.0f rows/s | %,.0f req/s, p99 %.2f ms |\n\n![memory ingest](memory-ingest.png)\n",
                            m.afterLoadBytes() >> 20, m.afterLookupsBytes() >> 20, m.ingest().rowsPerSecond(), m.reads().rps(), m.reads().p99() / 1000.0));
            ingestChart(m.ingest(), out.resolve("memory-ingest.png"), f("Loading %,d records", m.records()));
        }
        if (r.restore != null) {
            md.append(f("\n## Restore\n\nThe instance holding the %,d records is stopped and a new one starts with an empty state directory: ", r.restore.records()))
                    .append("it joins the group, restores every store (records and index entries) from the changelogs and answers `/readyz` with 200. ")
                    .append(f("From its start (JVM included) to ready: **%.1f s, %,.0f records/s**.\n", r.restore.seconds(), r.restore.recordsPerSecond()));
        }
        Files.writeString(out.resolve("REPORT.md"), md.toString());
        Files.writeString(out.resolve("results.json"), Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(json(r)));
    }

    private static Map<String, Object> json(final BenchSuite.Results r) {
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("date", r.date);
        json.put("machine", r.machine);
        json.put("records", r.records);
        json.put("connections", r.connections);
        json.put("lookups", r.lookups.stream().map(p -> Map.of("kind", p.kind().name(), "round", p.round(), "persona", p.persona(), "webdis", p.webdis(),
                "ratio", p.ratio())).toList());
        if (r.restore != null) {
            json.put("restore", r.restore);
        }
        if (!r.openLoop.isEmpty()) {
            json.put("openLoop", r.openLoop);
        }
        if (r.tails != null) {
            json.put("tails", r.tails);
        }
        if (r.ingest != null) {
            final Map<String, Object> ingest = new LinkedHashMap<>(Map.of("rows", r.ingest.rows(), "seconds", r.ingest.seconds(),
                    "rowsPerSecond", r.ingest.rowsPerSecond()));
            if (r.ingestCpu != null) {
                ingest.put("instanceCpuMicrosPerRow", r.ingestCpu.instanceMicros());
                ingest.put("driverCpuMicrosPerRow", r.ingestCpu.driverMicros());
            }
            json.put("ingest", ingest);
        }
        if (r.freshness != null) {
            json.put("freshness", Map.of("p50Ms", ms(r.freshness.latencyMicros().getValueAtPercentile(50)),
                    "p99Ms", ms(r.freshness.latencyMicros().getValueAtPercentile(99)), "bulkRowsPerSecond", r.freshness.bulkRowsPerSecond()));
        }
        if (r.failover != null) {
            json.put("failover", Map.of("windowMs", r.failover.windowMillis(), "failed", r.failover.failed(), "total", r.failover.total()));
        }
        if (r.memory != null) {
            json.put("memory", Map.of("records", r.memory.records(), "afterLoadBytes", r.memory.afterLoadBytes(),
                    "afterLookupsBytes", r.memory.afterLookupsBytes(), "loadRowsPerSecond", r.memory.ingest().rowsPerSecond()));
        }
        return json;
    }

    private static String openLoopRow(final OpenLoop.Run run) {
        return f("%.2f ms | %.2f ms | %.2f ms | %.2f ms | %d | %.2f ms", run.p50() / 1e3, run.p99() / 1e3, run.p999() / 1e3, run.max() / 1e3,
                run.errors(), run.sendLateP99() / 1e3);
    }

    private static String row(final List<Wrk.Run> runs) {
        return f(" | %,.0f | %.2f | %.2f | %.2f | %d", median(runs.stream().map(Wrk.Run::rps).toList()),
                median(runs.stream().map(x -> x.p50() / 1000.0).toList()), median(runs.stream().map(x -> x.p99() / 1000.0).toList()),
                median(runs.stream().map(x -> x.p999() / 1000.0).toList()), runs.stream().mapToLong(Wrk.Run::errors).sum());
    }

    private static void target(final StringBuilder md, final String what, final String goal, final String measured, final boolean met) {
        md.append("| ").append(what).append(" | ").append(goal).append(" | ").append(measured).append(" | ").append(met ? "yes" : "**no**").append(" |\n");
    }

    private static void lookupCharts(final Map<Wrk.Kind, List<BenchSuite.Pair>> byKind, final List<BenchSuite.Pair> pairs, final Path out)
            throws IOException {
        final List<String> labels = byKind.keySet().stream().map(k -> k.shortLabel).toList();
        final CategoryChart rps = new CategoryChartBuilder().width(900).height(450).title("Lookups per second (median of A/B rounds)")
                .yAxisTitle("requests/s").build();
        rps.addSeries("Persona", labels, byKind.values().stream().map(p -> (Number) median(p.stream().map(x -> x.persona().rps()).toList())).toList());
        rps.addSeries("webdis + Redis", labels, byKind.values().stream().map(p -> (Number) median(p.stream().map(x -> x.webdis().rps()).toList())).toList());
        save(rps, out.resolve("lookup-throughput.png"));
        final CategoryChart latency = new CategoryChartBuilder().width(900).height(450).title("Lookup latency, p50 and p99 (ms)")
                .yAxisTitle("ms").build();
        latency.addSeries("Persona p50", labels, byKind.values().stream().map(p -> (Number) median(p.stream().map(x -> x.persona().p50() / 1000.0).toList())).toList());
        latency.addSeries("Persona p99", labels, byKind.values().stream().map(p -> (Number) median(p.stream().map(x -> x.persona().p99() / 1000.0).toList())).toList());
        latency.addSeries("webdis p50", labels, byKind.values().stream().map(p -> (Number) median(p.stream().map(x -> x.webdis().p50() / 1000.0).toList())).toList());
        latency.addSeries("webdis p99", labels, byKind.values().stream().map(p -> (Number) median(p.stream().map(x -> x.webdis().p99() / 1000.0).toList())).toList());
        save(latency, out.resolve("lookup-latency.png"));
        final XYChart ratio = new XYChartBuilder().width(900).height(450).title("Persona / webdis throughput, pair by pair")
                .xAxisTitle("round").yAxisTitle("ratio").build();
        for (final Map.Entry<Wrk.Kind, List<BenchSuite.Pair>> kind : byKind.entrySet()) {
            ratio.addSeries(kind.getKey().shortLabel, kind.getValue().stream().map(p -> (Number) p.round()).toList(),
                    kind.getValue().stream().map(p -> (Number) p.ratio()).toList());
        }
        final int rounds = pairs.stream().mapToInt(BenchSuite.Pair::round).max().orElse(1);
        ratio.addSeries("target 1.2", List.of(1, Math.max(rounds, 2)), List.of(1.2, 1.2)).setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
        save(ratio, out.resolve("lookup-ratio.png"));
    }

    private static void ingestChart(final BenchSuite.Ingest ingest, final Path file, final String title) throws IOException {
        final XYChart chart = new XYChartBuilder().width(900).height(400).title(title).xAxisTitle("seconds").yAxisTitle("rows taken in and committed").build();
        final List<Number> x = new ArrayList<>();
        final List<Number> y = new ArrayList<>();
        ingest.progress().forEach(p -> {
            x.add(p[0] / 1000.0);
            y.add(p[1]);
        });
        if (x.isEmpty()) {
            x.add(0);
            y.add(0);
        }
        chart.addSeries("rows", x, y).setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
        save(chart, file);
    }

    private static void freshnessChart(final FreshnessBenchmark.Figures fr, final Path file) throws IOException {
        final XYChart chart = new XYChartBuilder().width(900).height(400).title("Freshness: commit to visible, by percentile")
                .xAxisTitle("percentile").yAxisTitle("ms").build();
        final List<Number> x = new ArrayList<>();
        final List<Number> y = new ArrayList<>();
        for (final double p : new double[]{1, 10, 25, 50, 75, 90, 95, 99, 99.9, 100}) {
            x.add(p);
            y.add(ms(fr.latencyMicros().getValueAtPercentile(p)));
        }
        chart.addSeries("latency", x, y);
        save(chart, file);
    }

    private static void failoverChart(final Failover.Figures fo, final Path file) throws IOException {
        final XYChart chart = new XYChartBuilder().width(900).height(400).title("Failed lookups after kill -9 (one dot each)")
                .xAxisTitle("ms after the kill").yAxisTitle("HTTP status (-1: I/O error)").build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        final List<Number> x = new ArrayList<>(fo.failures().stream().map(f -> (Number) f[0]).toList());
        final List<Number> y = new ArrayList<>(fo.failures().stream().map(f -> (Number) f[1]).toList());
        x.add(fo.observedSeconds() * 1000 - 3_000);
        y.add(200);
        chart.addSeries("failed lookups", x.subList(0, x.size() - 1).isEmpty() ? List.of(0) : x.subList(0, x.size() - 1),
                y.subList(0, y.size() - 1).isEmpty() ? List.of(200) : y.subList(0, y.size() - 1));
        save(chart, file);
    }

    private static void save(final Chart<?, ?> chart, final Path file) throws IOException {
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    static double median(final List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        final List<Double> sorted = values.stream().sorted().toList();
        final int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static double ms(final long micros) {
        return micros / 1000.0;
    }

    private static double ms(final double micros) {
        return micros / 1000.0;
    }

    private static String f(final String format, final Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /** The cluster run whose setup starts with {@code setup}; null when the phase did not measure it. */
    private static ClusterScaling.Run cluster(final BenchSuite.Results r, final String setup) {
        return r.cluster.stream().filter(c -> c.setup().startsWith(setup)).findFirst().orElse(null);
    }
}
