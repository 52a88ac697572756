package dev.persona.config;

import java.util.Map;
import java.util.Optional;

/**
 * How Persona talks to Kafka.
 *
 * @param bootstrapServers    absent: Persona starts its embedded broker
 * @param applicationId       the Kafka Streams application id; instances with the same id form one cluster
 * @param topicPrefix         the first part of every topic Persona names
 * @param processingGuarantee {@code exactly_once_v2} unless switched to {@code at_least_once}
 * @param properties          passed to every Kafka client as is (SASL, TLS, ...)
 * @param standbyReplicas     warm copies of each store partition on other instances ({@code num.standby.replicas})
 * @param maxStaleLag         the largest offset lag a standby copy may have to answer when the active owner cannot
 * @param rocksdbMemoryMb     memory all RocksDB stores of an instance share (block cache and write buffers)
 * @param replicationFactor   replicas of every topic Persona creates; empty: min(3, brokers in the cluster)
 * @param minInsyncReplicas   {@code min.insync.replicas} of those topics; empty: one less than the replication
 *                            factor, at least 1
 * @param maxRecordBytes      the largest merged record (stored bytes) a change may produce; a change that would make
 *                            a record larger goes to the dead-letter topic and the record keeps its last good state.
 *                            Below the changelog's limit (the producer's {@code max.request.size}, 1 MiB by default)
 * @param erasureWindow       how long a purged person's rows may stay in Persona's Kafka topics (sync topics,
 *                            changelogs, dead letters, run samples) before the log cleaner has removed them
 * @param readFrom            which copy of a key answers a lookup: its owner, or the nearest within maxStaleLag
 */
public record KafkaSettings(Optional<String> bootstrapServers, String applicationId, String topicPrefix,
                            ProcessingGuarantee processingGuarantee, Map<String, String> properties,
                            int standbyReplicas, long maxStaleLag, int rocksdbMemoryMb,
                            Optional<Integer> replicationFactor, Optional<Integer> minInsyncReplicas, int maxRecordBytes,
                            java.time.Duration erasureWindow, ReadFrom readFrom) {
    public static final String DEFAULT_APPLICATION_ID = "persona";
    public static final String DEFAULT_TOPIC_PREFIX = "persona";
    public static final int DEFAULT_STANDBY_REPLICAS = 1;
    public static final long DEFAULT_MAX_STALE_LAG = 10_000;
    public static final int DEFAULT_ROCKSDB_MEMORY_MB = 256;
    public static final int DEFAULT_MAX_RECORD_BYTES = 1_000_000;
    public static final java.time.Duration DEFAULT_ERASURE_WINDOW = java.time.Duration.ofHours(24);
    /** The shortest window: a sixteenth of it is how often Persona nudges quiet partitions to roll their segments. */
    public static final java.time.Duration MIN_ERASURE_WINDOW = java.time.Duration.ofSeconds(16);

    public KafkaSettings {
        properties = Map.copyOf(properties);
    }

    /** The settings of a file with no {@code kafka} section. */
    public static KafkaSettings defaults() {
        return new KafkaSettings(Optional.empty(), DEFAULT_APPLICATION_ID, DEFAULT_TOPIC_PREFIX,
                ProcessingGuarantee.EXACTLY_ONCE_V2, Map.of(), DEFAULT_STANDBY_REPLICAS, DEFAULT_MAX_STALE_LAG,
                DEFAULT_ROCKSDB_MEMORY_MB, Optional.empty(), Optional.empty(), DEFAULT_MAX_RECORD_BYTES, DEFAULT_ERASURE_WINDOW, ReadFrom.OWNER);
    }

    /** The replication factor of Persona's topics on a cluster of {@code brokers} brokers. */
    public int replicationFactorFor(final int brokers) {
        return replicationFactor.orElse(Math.max(1, Math.min(3, brokers)));
    }

    /** The {@code min.insync.replicas} of Persona's topics on a cluster of {@code brokers} brokers. */
    public int minInsyncReplicasFor(final int brokers) {
        return minInsyncReplicas.orElse(Math.max(1, replicationFactorFor(brokers) - 1));
    }

    /** The same settings with other bootstrap servers, as given on the command line. */
    public KafkaSettings withBootstrapServers(final String servers) {
        return new KafkaSettings(Optional.of(servers), applicationId, topicPrefix, processingGuarantee, properties, standbyReplicas, maxStaleLag,
                rocksdbMemoryMb, replicationFactor, minInsyncReplicas, maxRecordBytes, erasureWindow, readFrom);
    }

    /** The same settings with another erasure window. */
    public KafkaSettings withErasureWindow(final java.time.Duration window) {
        return new KafkaSettings(bootstrapServers, applicationId, topicPrefix, processingGuarantee, properties, standbyReplicas, maxStaleLag,
                rocksdbMemoryMb, replicationFactor, minInsyncReplicas, maxRecordBytes, window, readFrom);
    }

    /**
     * The same settings under another Kafka Streams application id: the id of the topology version an instance runs
     * (each version of the topology is an application of its own, see {@code TopologyVersions}).
     */
    public KafkaSettings withApplicationId(final String id) {
        return new KafkaSettings(bootstrapServers, id, topicPrefix, processingGuarantee, properties, standbyReplicas, maxStaleLag,
                rocksdbMemoryMb, replicationFactor, minInsyncReplicas, maxRecordBytes, erasureWindow, readFrom);
    }

    /** The same settings reading from another copy. */
    public KafkaSettings withReadFrom(final ReadFrom from) {
        return new KafkaSettings(bootstrapServers, applicationId, topicPrefix, processingGuarantee, properties, standbyReplicas, maxStaleLag,
                rocksdbMemoryMb, replicationFactor, minInsyncReplicas, maxRecordBytes, erasureWindow, from);
    }
}
