package dev.persona.topology;

import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;

/**
 * Where Kafka's default partitioner puts a record keyed by a UTF-8 string: the partition of a key in every topic
 * and store partition of a collection (sync topics, changelogs, repartitions all use it).
 */
public final class KeyPartitions {
    private KeyPartitions() {
    }

    /** The partition of {@code key} among {@code partitions}. */
    public static int of(final String key, final int partitions) {
        return of(key.getBytes(StandardCharsets.UTF_8), partitions);
    }

    /** The partition of a record keyed by {@code key} (its serialized bytes) among {@code partitions}. */
    public static int of(final byte[] key, final int partitions) {
        return Utils.toPositive(Utils.murmur2(key)) % partitions;
    }
}
