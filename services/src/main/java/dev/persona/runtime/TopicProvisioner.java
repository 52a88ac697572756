package dev.persona.runtime;

import dev.persona.config.CollectionConfig;
import dev.persona.config.PersonaConfig;
import dev.persona.config.SourceConfig;
import dev.persona.config.SyncConfig;
import dev.persona.topology.TopicNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
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
 */
public final class TopicProvisioner {
    private static final Logger LOG = LoggerFactory.getLogger(TopicProvisioner.class);

    private static final Duration VISIBILITY_TIMEOUT = Duration.ofSeconds(30);

    private final Admin admin;

    public TopicProvisioner(final Admin admin) {
        this.admin = admin;
    }

    /** Creates a compacted, single-partition topic (API keys, run history, sync state, CDC offsets) when it is missing. */
    public void provisionCompacted(final String topic) {
        try {
            if (!admin.listTopics().names().get().contains(topic)) {
                try {
                    admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty())
                            .configs(Map.of("cleanup.policy", "compact")))).all().get();
                } catch (final ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            describeWhenVisible(Set.of(topic));
        } catch (final ExecutionException e) {
            throw new IllegalStateException("cannot create topic " + topic + ": " + e.getCause().getMessage(), e.getCause());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }

    /** Creates the control topic with at least {@code partitions} partitions, adding partitions when syncs were added. */
    public void provisionControl(final String topic, final int partitions) {
        try {
            if (!admin.listTopics().names().get().contains(topic)) {
                try {
                    admin.createTopics(List.of(new NewTopic(topic, Optional.of(partitions), Optional.empty()))).all().get();
                } catch (final ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            final int existing = describeWhenVisible(Set.of(topic)).get(topic).partitions().size();
            if (existing < partitions) {
                admin.createPartitions(Map.of(topic, org.apache.kafka.clients.admin.NewPartitions.increaseTo(partitions))).all().get();
            }
        } catch (final ExecutionException e) {
            throw new IllegalStateException("cannot create topic " + topic + ": " + e.getCause().getMessage(), e.getCause());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
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

    /**
     * Creates what is missing and checks what exists.
     *
     * @throws IllegalStateException when a sync topic has the wrong partition count, or Kafka refuses
     */
    public void provision(final PersonaConfig config) {
        final TopicNames names = new TopicNames(config.kafka());
        final Map<String, Integer> wanted = new java.util.LinkedHashMap<>();
        final Set<String> ownTopics = new java.util.HashSet<>();
        for (final CollectionConfig collection : config.collections()) {
            wanted.put(names.deadLetterTopic(collection.name()), collection.partitions());
            ownTopics.add(names.deadLetterTopic(collection.name()));
            for (final SyncConfig sync : config.syncsOf(collection.name())) {
                wanted.putIfAbsent(names.sourceTopic(sync), collection.partitions());
                if (!(sync.source() instanceof SourceConfig.Topic)) {
                    ownTopics.add(names.sourceTopic(sync));
                }
            }
        }
        try {
            final Set<String> existing = admin.listTopics().names().get();
            final List<NewTopic> create = new ArrayList<>();
            wanted.forEach((topic, partitions) -> {
                if (!existing.contains(topic)) {
                    create.add(new NewTopic(topic, Optional.of(partitions), Optional.empty()));
                }
            });
            if (!create.isEmpty()) {
                try {
                    admin.createTopics(create).all().get();
                } catch (final ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
                LOG.info("Created topics {}", create.stream().map(NewTopic::name).toList());
            }
            final Map<String, TopicDescription> descriptions = describeWhenVisible(ownTopics);
            for (final String topic : ownTopics) {
                final int actual = descriptions.get(topic).partitions().size();
                if (actual != wanted.get(topic)) {
                    throw new IllegalStateException("topic " + topic + " has " + actual + " partitions but its collection declares "
                            + wanted.get(topic) + ": set the collection's partitions to " + actual + ", or recreate the topic");
                }
            }
        } catch (final ExecutionException e) {
            throw new IllegalStateException("cannot create Persona's topics: " + e.getCause().getMessage(), e.getCause());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }
}
