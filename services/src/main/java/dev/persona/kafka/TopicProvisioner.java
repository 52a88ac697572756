package dev.persona.kafka;

import dev.persona.config.CollectionConfig;
import dev.persona.config.KafkaSettings;
import dev.persona.config.PersonaConfig;
import dev.persona.config.SourceConfig;
import dev.persona.config.SyncConfig;
import dev.persona.topology.TopicNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;

/**
 * Creates the topics a configuration needs before the topology starts: each sync topic and each collection's
 * dead-letter topic, with the collection's partition count. A sync topic that already exists with another
 * partition count stops start-up, because its keys would land in the wrong tasks. A {@code topic} source that does
 * not exist yet is created with the collection's partition count (its rows are repartitioned anyway).
 * <p>
 * Every topic is created with {@link #replication()}: {@code kafka.replicationFactor} replicas (by default min(3,
 * brokers), where the broker's own default is 1 on stock Kafka) and {@code min.insync.replicas} one less.
 */
public final class TopicProvisioner {
    private static final Logger LOG = LoggerFactory.getLogger(TopicProvisioner.class);

    private static final Duration VISIBILITY_TIMEOUT = Duration.ofSeconds(30);

    private final Admin admin;
    private final KafkaSettings settings;
    private TopicReplication replication;

    public TopicProvisioner(final Admin admin, final KafkaSettings settings) {
        this.admin = admin;
        this.settings = settings;
    }

    /**
     * The replication of Persona's topics on this cluster, from the configuration and the number of brokers.
     *
     * @throws KafkaUnreachableException when the cluster cannot be described
     * @throws IllegalStateException      when it has fewer brokers than the factor asks for
     */
    public TopicReplication replication() {
        if (replication == null) {
            final int brokers;
            try {
                brokers = admin.describeCluster().nodes().get().size();
            } catch (final ExecutionException e) {
                // The first call an instance makes to Kafka: a wrong address or a refused login shows here, after the
                // admin client's default.api.timeout.ms (60 s) for an address where nothing answers.
                throw new KafkaUnreachableException(settings.bootstrapServers().orElse("the embedded broker"), e.getCause());
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while trying to describe the cluster", e);
            }
            final int factor = settings.replicationFactorFor(brokers);
            if (factor > brokers) {
                throw new IllegalStateException("kafka.replicationFactor is " + factor + " but the cluster has " + brokers
                        + " broker(s): lower kafka.replicationFactor, or add brokers");
            }
            replication = new TopicReplication(factor, Math.min(factor, settings.minInsyncReplicasFor(brokers)));
        }
        return replication;
    }

    private NewTopic topic(final String name, final int partitions, final Map<String, String> configs) {
        final Map<String, String> all = new HashMap<>(configs);
        all.put("min.insync.replicas", Integer.toString(replication().minInsync()));
        return new NewTopic(name, Optional.of(partitions), Optional.of((short) replication().factor())).configs(all);
    }

    /** Creates a compacted, single-partition topic (API keys, run history, sync state, CDC offsets) when it is missing. */
    public void provisionCompacted(final String topic) {
        provisionCompacted(topic, Map.of());
    }

    /**
     * {@link #provisionCompacted(String)} with the broker timestamping its records ({@code LogAppendTime}): times
     * compared between instances then come from one clock.
     */
    public void provisionCompactedBrokerTimed(final String topic) {
        provisionCompacted(topic, Map.of("message.timestamp.type", "LogAppendTime"));
    }

    private void provisionCompacted(final String topic, final Map<String, String> configs) {
        final Map<String, String> all = new HashMap<>(configs);
        all.put("cleanup.policy", "compact");
        kafka("create topic " + topic, () -> createMissing(List.of(topic(topic, 1, all))));
    }

    /** Creates the control topic with at least {@code partitions} partitions, adding partitions when syncs were added. */
    public void provisionControl(final String topic, final int partitions) {
        kafka("create topic " + topic, () -> {
            final int existing = createMissing(List.of(topic(topic, partitions, Map.of())))
                    .get(topic).partitions().size();
            if (existing < partitions) {
                admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(partitions))).all().get();
            }
            return null;
        });
    }

    /**
     * Creates what is missing and checks what exists. Persona's own topics keep the partition count they were made
     * with when a collection's {@code partitions} changes: the topology reads them through a repartition step.
     *
     * @return the partition count of each topic the configuration names, as Kafka has it
     * @throws IllegalStateException when a copartitioned sync's topic has another partition count than its
     *                               collection, or Kafka refuses
     */
    public Map<String, Integer> provision(final PersonaConfig config) {
        final TopicNames names = new TopicNames(config.kafka());
        final Map<String, Integer> wanted = new LinkedHashMap<>();
        final Set<String> ownTopics = new HashSet<>();
        final Map<String, String> copartitioned = new LinkedHashMap<>();
        final Map<String, String> copartitionedReplays = new LinkedHashMap<>();
        final Set<String> purgeable = new HashSet<>();
        final Set<String> purgeRequests = new HashSet<>();
        final Set<String> replays = new HashSet<>();
        final Set<String> schemaHistories = new HashSet<>();
        for (final CollectionConfig collection : config.collections()) {
            wanted.put(names.deadLetterTopic(collection.name()), collection.partitions());
            ownTopics.add(names.deadLetterTopic(collection.name()));
            purgeable.add(names.deadLetterTopic(collection.name()));
            wanted.put(names.purges(collection.name()), collection.partitions());
            ownTopics.add(names.purges(collection.name()));
            purgeRequests.add(names.purges(collection.name()));
            for (final SyncConfig sync : config.syncsOf(collection.name())) {
                wanted.putIfAbsent(names.sourceTopic(sync), collection.partitions());
                ownTopics.add(names.ownTopic(sync));
                if (sync.source().runByOneInstance()) {
                    purgeable.add(names.sourceTopic(sync));
                } else {
                    wanted.put(names.replay(sync), collection.partitions());
                    replays.add(names.replay(sync));
                }
                if (sync.source().on(SourceConfig.Cdc::readsBinaryLog, query -> false, topic -> false)) {
                    schemaHistories.add(names.cdcSchemaHistory(sync));
                }
                if (sync.source().on(cdc -> false, query -> false, SourceConfig.Topic::copartitioned)) {
                    copartitioned.put(names.sourceTopic(sync), sync.id());
                    copartitionedReplays.put(names.replay(sync), sync.id());
                }
            }
        }
        final List<NewTopic> topics = new ArrayList<>();
        final Map<String, String> erasure = new ErasureWindow(config.kafka().erasureWindow()).topicConfigs();
        wanted.forEach((topic, partitions) -> topics.add(topic(topic, partitions,
                purgeRequests.contains(topic) ? with(COMPACTED, erasure) : purgeable.contains(topic) ? with(PURGEABLE, erasure)
                        : replays.contains(topic) ? with(REPLAY, erasure) : Map.of())));
        topics.add(topic(names.runSamples(), 1, with(PURGEABLE, erasure)));
        topics.add(new NewTopic(names.purgeAudit(), Optional.of(1), Optional.of((short) replication().factor()))
                .configs(Map.of("min.insync.replicas", Integer.toString(replication().minInsync()), "retention.ms", "-1")));
        // Debezium's schema history of a binary log: one partition, never deleted nor compacted (it replays every DDL
        // in order); made here with the cluster's replication rather than by Debezium with the broker's default.
        schemaHistories.forEach(topic -> topics.add(new NewTopic(topic, Optional.of(1), Optional.of((short) replication().factor()))
                .configs(Map.of("min.insync.replicas", Integer.toString(replication().minInsync()), "cleanup.policy", "delete",
                        "retention.ms", "-1", "retention.bytes", "-1"))));
        final Map<String, TopicDescription> descriptions = kafka("create Persona's topics", () -> createMissing(topics));
        try {
            kafka("make Persona's sync and dead-letter topics compacted as well as time-limited", () -> compactAsWell(purgeable));
        } catch (final IllegalStateException e) {
            // A cluster whose ACLs refuse AlterConfigs still runs everything else; only a purge cannot clear those topics.
            LOG.warn("{}. Persona runs, but a purge cannot remove a person's rows from these topics until they are compacted: "
                    + "kafka-configs --alter --entity-type topics --entity-name <topic> --add-config 'cleanup.policy=[compact,delete]' "
                    + "for each of {}", e.getMessage(), purgeable.stream().sorted().toList());
        }
        final Map<String, Integer> actual = new HashMap<>();
        descriptions.forEach((topic, description) -> actual.put(topic, description.partitions().size()));
        for (final String topic : new java.util.TreeSet<>(ownTopics)) {
            if (!actual.get(topic).equals(wanted.get(topic))) {
                LOG.info("Topic {} keeps its {} partitions; its collection now declares {} (a resize: what the topology reads from it "
                        + "is repartitioned)", topic, actual.get(topic), wanted.get(topic));
            }
        }
        copartitionedReplays.forEach((topic, sync) -> {
            if (!actual.get(topic).equals(wanted.get(topic))) {
                throw new IllegalStateException("sync '" + sync + "' reads its resync topic " + topic + " as copartitioned, but it has "
                        + actual.get(topic) + " partitions and its collection declares " + wanted.get(topic)
                        + ": a copartitioned sync's collection cannot change its partitions; set them back to " + actual.get(topic)
                        + ", or remove 'copartitioned' from the sync's source so that Persona repartitions the rows");
            }
        });
        copartitioned.forEach((topic, sync) -> {
            if (!actual.get(topic).equals(wanted.get(topic))) {
                throw new IllegalStateException("sync '" + sync + "' reads topic " + topic + " as copartitioned, but it has " + actual.get(topic)
                        + " partitions and its collection declares " + wanted.get(topic) + ": set the collection's partitions to " + actual.get(topic)
                        + ", or remove 'copartitioned' from the sync's source so that Persona repartitions the rows");
            }
        });
        return actual;
    }

    private static Map<String, String> with(final Map<String, String> configs, final Map<String, String> more) {
        final Map<String, String> all = new HashMap<>(configs);
        all.putAll(more);
        return all;
    }

    /**
     * Topics a purge must be able to clear of one key: compaction removes a key's rows once a tombstone follows them,
     * and retention still removes what is older than {@code retention.ms}, as before.
     */
    private static final Map<String, String> PURGEABLE = Map.of("cleanup.policy", "compact,delete");
    private static final Map<String, String> COMPACTED = Map.of("cleanup.policy", "compact");
    /** A resync's copy of a topic sync's rows is read within seconds: an hour is plenty, and a purge can clear it. */
    private static final Map<String, String> REPLAY = Map.of("cleanup.policy", "compact,delete", "retention.ms", "3600000");

    /**
     * Turns on compaction for topics made before purges existed (delete only). Their rows without a key (dead letters
     * only) are dropped by the first compaction: a compacted topic keeps no such row.
     */
    private Void compactAsWell(final Set<String> topics) throws ExecutionException, InterruptedException {
        final List<ConfigResource> resources = topics.stream()
                .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
        final Map<ConfigResource, Config> configs =
                admin.describeConfigs(resources).all().get();
        final Map<ConfigResource, Collection<AlterConfigOp>> changes =
                new HashMap<>();
        configs.forEach((resource, config) -> {
            final ConfigEntry policy = config.get("cleanup.policy");
            if (policy == null || !policy.value().contains("compact")) {
                changes.put(resource, List.of(new AlterConfigOp(
                        new ConfigEntry("cleanup.policy", "compact,delete"),
                        AlterConfigOp.OpType.SET)));
            }
        });
        if (!changes.isEmpty()) {
            admin.incrementalAlterConfigs(changes).all().get();
            LOG.info("Made {} compacted as well as time-limited, so that a purge can remove a key from them", changes.keySet().stream()
                    .map(ConfigResource::name).sorted().toList());
        }
        return null;
    }

    /** Creates the topics that do not exist yet (another instance may be creating them too) and describes them all. */
    private Map<String, TopicDescription> createMissing(final List<NewTopic> topics) throws ExecutionException, InterruptedException {
        final Set<String> existing = admin.listTopics().names().get();
        final List<NewTopic> missing = topics.stream().filter(t -> !existing.contains(t.name())).toList();
        if (!missing.isEmpty()) {
            try {
                admin.createTopics(missing).all().get();
            } catch (final ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
            LOG.info("Created topics {}", missing.stream().map(NewTopic::name).toList());
        }
        return describeWhenVisible(topics.stream().map(NewTopic::name).collect(java.util.stream.Collectors.toSet()));
    }

    /** Topics just created may take a moment to reach every broker's metadata. */
    private Map<String, TopicDescription> describeWhenVisible(final Set<String> topics) throws ExecutionException, InterruptedException {
        final long deadline = System.nanoTime() + VISIBILITY_TIMEOUT.toNanos();
        while (true) {
            try {
                return admin.describeTopics(topics).allTopicNames().get();
            } catch (final ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    /** A call to the admin client, its failures turned into the start-up error that says what could not be done. */
    private <T> T kafka(final String what, final AdminCall<T> call) {
        try {
            return call.run();
        } catch (final ExecutionException e) {
            throw new IllegalStateException("cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while trying to " + what, e);
        }
    }

    @FunctionalInterface
    private interface AdminCall<T> {
        T run() throws ExecutionException, InterruptedException;
    }
}
