package dev.persona.topology;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The run debugger's samples: what a change of a sync run did to its record, as the merge saw it. Ingest marks each
 * change row with its run's id ({@link #RUN_HEADER}); the merge step of each partition samples the first changes
 * of each run it applies (at most {@link #PER_RUN} per run across partitions), into {@link TopicNames#runSamples},
 * keyed {@code <run>/<record key>} so that a purge finds them.
 */
public final class RunSamples {
    /** The run a change row belongs to. */
    public static final String RUN_HEADER = "persona.run";
    /** Changes sampled of one run, at most. */
    public static final int PER_RUN = 100;
    /** A sample larger than this keeps only the names of the changed fields. */
    static final int MAX_SAMPLE_BYTES = 16_384;
    private static final ObjectMapper MAPPER = Json.mapper();

    private RunSamples() {
    }

    /** The samples one partition's merge keeps of a run: an equal share of {@link #PER_RUN}, at least one. */
    public static int perPartition(final int partitions) {
        return Math.max(1, (PER_RUN + partitions - 1) / partitions);
    }

    /** The key of a sample. */
    public static String key(final String run, final String recordKey) {
        return run + "/" + recordKey;
    }

    /**
     * The JSON of a sample: {@code sync}, {@code run}, {@code key}, {@code op}, {@code version}, {@code at}, the
     * fields whose values changed ({@code changed}), and their values {@code before} and {@code after} (absent when
     * the record was).
     */
    public static byte[] sample(final String sync, final String run, final String key, final String op, final Long version, final long at,
                                final ObjectNode before, final ObjectNode after) {
        final Set<String> changed = new LinkedHashSet<>();
        collect(before, after, changed);
        collect(after, before, changed);
        final ObjectNode sample = MAPPER.createObjectNode();
        sample.put("sync", sync).put("run", run).put("key", key).put("op", op);
        if (version == null) {
            sample.putNull("version");
        } else {
            sample.put("version", version);
        }
        sample.put("at", Instant.ofEpochMilli(at).toString());
        sample.set("changed", MAPPER.valueToTree(changed));
        sample.set("before", values(before, changed));
        sample.set("after", values(after, changed));
        try {
            byte[] bytes = MAPPER.writeValueAsBytes(sample);
            if (bytes.length > MAX_SAMPLE_BYTES) {
                sample.remove("before");
                sample.remove("after");
                sample.put("valuesOmitted", "the values take " + bytes.length + " bytes, above " + MAX_SAMPLE_BYTES);
                bytes = MAPPER.writeValueAsBytes(sample);
            }
            return bytes;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void collect(final ObjectNode from, final ObjectNode other, final Set<String> changed) {
        if (from == null) {
            return;
        }
        final Iterator<Map.Entry<String, JsonNode>> fields = from.fields();
        while (fields.hasNext()) {
            final Map.Entry<String, JsonNode> field = fields.next();
            if (other == null || !field.getValue().equals(other.get(field.getKey()))) {
                changed.add(field.getKey());
            }
        }
    }

    private static JsonNode values(final ObjectNode record, final Set<String> changed) {
        if (record == null) {
            return MAPPER.nullNode();
        }
        final ObjectNode values = MAPPER.createObjectNode();
        changed.forEach(f -> {
            if (record.has(f)) {
                values.set(f, record.get(f));
            }
        });
        return values;
    }

    static byte[] utf8(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
