package dev.persona.ingest;

import dev.persona.config.PersonaConfig;
import dev.persona.config.SyncConfig;
import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;

/**
 * The syncs Persona runs itself (CDC and query), and the partition of the control topic each is run by. The partition
 * is a hash of the sync's id alone, so that instances with different configurations (a sync added or removed, rolled
 * out one instance at a time) agree on it: by position in a sorted list, as before, a sync added before another moved
 * that one to the next partition, and an old and a new instance could both run it, or neither.
 */
public final class RunnableSyncs {
    /** The control topic's partitions: syncs beyond that share partitions, and so run on the same instance. */
    public static final int CONTROL_PARTITIONS = 16;

    private RunnableSyncs() {
    }

    /** CDC and query syncs, sorted by id. */
    public static List<SyncConfig> of(final PersonaConfig config) {
        return config.syncs().stream().filter(s -> s.source().runByOneInstance())
                .sorted(Comparator.comparing(SyncConfig::id)).toList();
    }

    /** The partition of the control topic whose owner runs {@code sync}. */
    public static int partitionOf(final SyncConfig sync) {
        return partitionOf(sync.id());
    }

    /** The partition of the control topic whose owner runs the sync {@code id}. */
    public static int partitionOf(final String id) {
        return Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % CONTROL_PARTITIONS;
    }
}
