package dev.persona.kafka;

import dev.persona.config.PersonaConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.nio.file.Path;
import java.util.Properties;

/** The Kafka Streams properties of one Persona instance. */
public final class StreamsSettings {
    private StreamsSettings() {
    }

    /** The same properties with every RocksDB store sharing {@code memory}. */
    public static Properties withSharedMemory(final Properties props, final BoundedRocksDbMemory.Resources memory) {
        props.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbMemory.class);
        props.put(BoundedRocksDbMemory.RESOURCES, memory);
        return props;
    }

    /**
     * The same properties with Streams' internal topics (changelogs, repartition topics) replicated as Persona's
     * own, unless the file's {@code kafka.properties} say otherwise.
     */
    public static Properties withReplication(final Properties props, final PersonaConfig config, final TopicReplication replication) {
        if (!config.kafka().properties().containsKey(StreamsConfig.REPLICATION_FACTOR_CONFIG)) {
            props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, replication.factor());
        }
        final String minInsync = StreamsConfig.topicPrefix("min.insync.replicas");
        if (!config.kafka().properties().containsKey(minInsync)) {
            props.put(minInsync, Integer.toString(replication.minInsync()));
        }
        return props;
    }

    /**
     * Stream threads for a machine of {@code cores}: half of them, at least one. The merge is CPU-bound, and with a
     * thread per core it takes every core while ingest runs, so lookups queue behind it: on 2 cores, open-loop
     * lookups at ~5,000-7,000 req/s during 10,000 change rows/s had a p99 of 0.8 to 4.9 s with 2 stream threads and
     * 48 ms with 1, while merged ingest stayed at 31,000-35,000 rows/s either way (bench/run suite --phases tails).
     */
    static int defaultStreamThreads(final int cores) {
        return Math.max(1, cores / 2);
    }

    /**
     * Properties for the merge topology.
     *
     * @param config           the configuration (application id, guarantee, client properties)
     * @param bootstrapServers the cluster to use
     * @param stateDir         where this instance keeps its RocksDB stores
     * @param applicationServer this instance's HTTP {@code host:port}, advertised to the others; null for none
     */
    public static Properties of(final PersonaConfig config, final String bootstrapServers, final Path stateDir,
                                final String applicationServer) {
        final Properties props = new Properties();
        // Persona's defaults first: the file's kafka.properties may override any of them.
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, defaultStreamThreads(Runtime.getRuntime().availableProcessors()));
        // Standbys keep warm copies elsewhere: a lost instance's keys are read from them while partitions move.
        props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, config.kafka().standbyReplicas());
        // A dead instance's partitions move after this long; reads do not wait for it (they fall back to standbys).
        props.put(StreamsConfig.consumerPrefix("session.timeout.ms"), 10_000);
        props.put(StreamsConfig.consumerPrefix("heartbeat.interval.ms"), 2_000);
        // Merges are ordered by version per sync and key, not by time across topics: a task need not wait for
        // every input partition to have data before processing what it has.
        props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
        // Under exactly-once nothing a task produces is readable before its commit (every 100 ms), so waiting up
        // to half of that to fill large batches costs no freshness and saves most of the broker's per-request work;
        // JSON records compress well.
        props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 50);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 512 * 1024);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        // Persona has no global stores; opting in now silences Kafka's start-up warning and matches Kafka 5.0's default.
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        // Changelogs hold records: a purged person's must be gone within kafka.erasureWindow (ErasureWindow).
        new ErasureWindow(config.kafka().erasureWindow()).topicConfigs().forEach((name, value) -> props.put(StreamsConfig.topicPrefix(name), value));
        // Lookups come before the merge's next batch on a busy machine (StreamThreadPriority).
        props.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG), StreamThreadPriority.class.getName());
        props.put(StreamsConfig.mainConsumerPrefix(StreamThreadPriority.NICE_CONFIG), StreamThreadPriority.niceOf(System.getenv()));
        props.putAll(config.kafka().properties());
        // Only committed rows are merged, whatever the guarantee: under at_least_once Streams would read
        // read_uncommitted, and apply the rows of a query-sync run whose transaction was aborted.
        props.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG), "read_committed");
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.kafka().applicationId());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, config.kafka().processingGuarantee().configName());
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        if (applicationServer != null) {
            props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, applicationServer);
        }
        return props;
    }
}
