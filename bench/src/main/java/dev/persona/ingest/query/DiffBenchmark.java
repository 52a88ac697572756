package dev.persona.ingest.query;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.bench.Options;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The CPU a query sync's run costs per row, without Kafka: a DuckDB model of customers (six columns of five types)
 * streamed through the run diff against the previous run's hashes, as {@code QuerySyncWorker} does, the change
 * rows counted instead of produced. It times a first run (every row new), unchanged runs, and a run where 1% of the
 * rows changed, in process CPU (DuckDB's threads, the JIT and GC included) and in the diff thread's own CPU. Then,
 * in a child JVM with {@code -Xmx512m}, a first and an unchanged run over a model of {@code --big-rows} rows: the
 * diff keeps neither the model nor the previous run's rows in heap. Usage:
 * {@code bench/run diff [--rows 100000] [--runs 8] [--big-rows 5000000]} ({@code --big-rows 0} skips it).
 */
public final class DiffBenchmark {
    private DiffBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        final Map<String, String> options = Options.parse(args);
        final int rows = Integer.parseInt(options.getOrDefault("rows", "100000"));
        final int runs = Integer.parseInt(options.getOrDefault("runs", "8"));
        final int bigRows = Integer.parseInt(options.getOrDefault("big-rows", "5000000"));
        final boolean child = Boolean.parseBoolean(options.getOrDefault("child", "false"));
        final Path dir = Files.createTempDirectory("persona-diff");
        try {
            final String url = warehouse(dir, rows);
            final RowHashes hashes = new RowHashes();
            if (child) {
                measure("first run", url, "select * from customers", hashes, rows);
                measure("unchanged", url, "select * from customers", hashes, rows);
                return;
            }
            System.out.printf("Query-sync diff, %,d rows of 6 columns (DuckDB), 1 thread:%n", rows);
            measure("first run", url, "select * from customers", hashes, rows);
            final List<double[]> unchanged = new ArrayList<>();
            for (int run = 0; run < runs; run++) {
                unchanged.add(measure("unchanged", url, "select * from customers", hashes, rows));
            }
            // 1% of the rows change: the model's text differs, but the run still compares against the same hashes.
            measure("1% changed", url, "select id, case when id % 100 = 7 then name || ' (moved)' else name end as name, email, ltv, "
                    + "last_login, plan from customers", hashes, rows);
            warehouseDiff(url, runs);
            // The first unchanged runs still compile; the median of the rest is the steady state.
            final List<double[]> steady = unchanged.subList(Math.min(2, unchanged.size() - 1), unchanged.size());
            final double cpu = median(steady.stream().map(r -> r[0]).toList());
            final double thread = median(steady.stream().map(r -> r[1]).toList());
            System.out.printf("Unchanged run, median of the last %d: %.3f s process CPU (%.2f µs/row), %.2f µs/row in the diff thread%n",
                    steady.size(), cpu, cpu * 1e6 / rows, thread * 1e6 / rows);
        } finally {
            Options.deleteTree(dir);
        }
        if (bigRows > 0) {
            System.out.printf("%nThe same over %,d rows in a child JVM with -Xmx512m:%n", bigRows);
            final Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-Xms512m",
                    "-XX:+UseParallelGC", "-cp", System.getProperty("java.class.path"), DiffBenchmark.class.getName(),
                    "--rows", Integer.toString(bigRows), "--child", "true").inheritIO().start();
            if (process.waitFor() != 0) {
                throw new IllegalStateException("the " + bigRows + "-row run failed (exit " + process.exitValue() + ")");
            }
        }
    }

    private static String warehouse(final Path dir, final int rows) throws SQLException {
        final String url = "jdbc:duckdb:" + dir.resolve("warehouse.duckdb");
        try (Connection db = DriverManager.getConnection(url); Statement statement = db.createStatement()) {
            statement.execute("create table customers as select i as id, 'Customer ' || i as name, 'c' || i || '@example.com' as email, "
                    + "(i % 1000) * 1.25 as ltv, timestamp '2024-01-01' + to_seconds(i) as last_login, "
                    + "case when i % 3 = 0 then 'gold' else 'free' end as plan from range(" + rows + ") t(i)");
        }
        return url;
    }

    /**
     * The other way, Hightouch Lightning's: the warehouse keeps the previous run's result in a table of its own and
     * computes the changes itself (rows of the model not in the previous result, keys of the previous result no
     * longer in the model); only the changes leave it. Persona cannot do this in general (it reads warehouses
     * read-only, and needs a writable schema for it), but the figure says what it would save.
     */
    private static void warehouseDiff(final String url, final int runs) throws SQLException {
        try (Connection db = DriverManager.getConnection(url); Statement statement = db.createStatement()) {
            statement.execute("create table previous as select * from customers");
            double best = Double.MAX_VALUE;
            double bestWall = Double.MAX_VALUE;
            long changed = -1;
            for (int run = 0; run < runs; run++) {
                final long cpu0 = processCpu();
                final long wall0 = System.nanoTime();
                try (var upserts = statement.executeQuery("select count(*) from (select * from customers except select * from previous)")) {
                    upserts.next();
                    changed = upserts.getLong(1);
                }
                try (var deletes = statement.executeQuery("select count(*) from previous p anti join customers c on p.id = c.id")) {
                    deletes.next();
                    changed += deletes.getLong(1);
                }
                best = Math.min(best, (processCpu() - cpu0) / 1e9);
                bestWall = Math.min(bestWall, (System.nanoTime() - wall0) / 1e9);
            }
            System.out.printf("  in the warehouse (Lightning's way, EXCEPT and an anti join in DuckDB, best of %d): %,d changes, %.3f s wall, "
                    + "%.3f s process CPU%n", runs, changed, bestWall, best);
        }
    }

    /** One run; returns its process CPU and diff-thread CPU in seconds. */
    private static double[] measure(final String what, final String url, final String sql, final RowHashes hashes, final int rows) throws SQLException {
        final long cpu0 = processCpu();
        final long thread0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        final long wall0 = System.nanoTime();
        final long[] sent = {0, 0};
        final ModelDiff.Counts counts;
        try (ModelRows model = ModelRows.open(url, sql, "id", new AtomicReference<>(), java.time.Duration.ofMinutes(30))) {
            counts = ModelDiff.run(model, hashes, false, new ModelDiff.Changes() {
                @Override
                public void upsert(final String key, final ObjectNode row, final long hash) {
                    sent[0] += row.size();
                }

                @Override
                public void delete(final String key) {
                    sent[1]++;
                }
            });
        }
        final double wall = (System.nanoTime() - wall0) / 1e9;
        final double cpu = (processCpu() - cpu0) / 1e9;
        final double thread = (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - thread0) / 1e9;
        System.out.printf("  %-10s %,9d read %,9d upserts %,9d unchanged %,5d deletes: %6.3f s wall, %6.3f s process CPU (%5.2f µs/row), "
                        + "%5.2f µs/row in the diff thread; heap after GC %,d MiB%n",
                what, counts.read(), counts.upserts(), counts.unchanged(), counts.deletes(), wall, cpu, cpu * 1e6 / rows, thread * 1e6 / rows, heapAfterGc());
        return new double[]{cpu, thread};
    }

    private static double median(final List<Double> values) {
        final List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    private static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** The heap the previous run's hashes (and anything else still live) take: measured after a full collection. */
    private static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
    }
}
