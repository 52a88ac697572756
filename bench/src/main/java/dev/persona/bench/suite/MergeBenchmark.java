package dev.persona.bench.suite;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.bench.Options;
import dev.persona.config.CollectionConfig;
import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.config.SyncConfig;
import dev.persona.topology.ChangeRow;
import dev.persona.topology.ChangeRowParser;
import dev.persona.topology.CollectionMerge;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The CPU cost of one change row in the merge step, without Kafka: the suite's ingest rows (each customer's two
 * syncs, then a partial update) read from their envelope, mapped, merged into the stored bytes of the record and
 * its secondary index value read, on one thread, as a stream thread does between {@code store.get} and
 * {@code store.put}. Repeatable where the suite's ingest figure is not (its broker, producer and instance share
 * two cores), so it is the figure for the before and after of a change to the merge. Usage:
 * {@code bench/run merge [--records 50000] [--passes 8]}.
 */
public final class MergeBenchmark {
    private MergeBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        final Map<String, String> options = Options.parse(args);
        final int records = Integer.parseInt(options.getOrDefault("records", "50000"));
        final int passes = Integer.parseInt(options.getOrDefault("passes", "8"));

        final Path home = Files.createTempDirectory("persona-merge");
        final BenchSuite.Dataset dataset = new BenchSuite.Dataset("merge", "127.0.0.1:9", home, 0, "", "");
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).load(dataset.config);
        final CollectionConfig customers = config.collection("customers").orElseThrow();
        final List<SyncConfig> syncs = config.syncsOf("customers");
        final CollectionMerge merge = new CollectionMerge(customers, syncs);
        final Map<String, ChangeRowParser> parsers = new HashMap<>();
        final Map<String, String> syncOf = new HashMap<>();
        for (final SyncConfig sync : syncs) {
            final String topic = sync.id().equals("profiles") ? dataset.profilesTopic : dataset.activityTopic;
            parsers.put(topic, ChangeRowParser.envelope(sync.primaryKey()));
            syncOf.put(topic, sync.id());
        }
        final List<String[]> rows = dataset.rows(1, records, true);
        final byte[][] keys = new byte[rows.size()][];
        final byte[][] values = new byte[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            keys[i] = rows.get(i)[1].getBytes(StandardCharsets.UTF_8);
            values[i] = rows.get(i)[2].getBytes(StandardCharsets.UTF_8);
        }

        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        System.out.printf("merge: %,d change rows per pass (%,d customers: 2 syncs, then a partial update), one thread%n", rows.size(), records);
        long sink = 0;
        double best = Double.MAX_VALUE;
        for (int pass = 1; pass <= passes; pass++) {
            final Map<String, byte[]> store = new HashMap<>(records * 2);
            final long cpu = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < keys.length; i++) {
                final String topic = rows.get(i)[0];
                final ChangeRow row = parsers.get(topic).parse(keys[i], values[i]).orElseThrow();
                final CollectionMerge.Merged result = merge.apply(syncOf.get(topic), row, 1_700_000_000_000L + i, store.get(row.key()));
                if (result.changed() && result.stored() != null) {
                    store.put(row.key(), result.stored());
                    sink += result.stored().length;
                }
                final JsonNode email = result.after() == null ? null : result.after().get("email");
                sink += email == null ? 0 : email.asText().length();
            }
            final double micros = (threads.getCurrentThreadCpuTime() - cpu) / 1e3 / keys.length;
            best = Math.min(best, micros);
            System.out.printf("pass %d: %.2f µs CPU per row (%,.0f rows/s on one core)%n", pass, micros, 1e6 / micros);
        }
        System.out.printf("merge: best pass %.2f µs CPU per row (%,.0f rows/s on one core)%n", best, 1e6 / best);
        Options.deleteTree(home);
        if (sink == 42) {
            System.out.println();
        }
    }
}
