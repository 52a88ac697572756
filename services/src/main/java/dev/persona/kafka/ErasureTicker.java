package dev.persona.kafka;

import dev.persona.config.CollectionConfig;
import dev.persona.config.PersonaConfig;
import dev.persona.config.SyncConfig;
import dev.persona.topology.Purges;
import dev.persona.topology.TopicNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Keeps {@code kafka.erasureWindow} true on every topic of Persona's that holds rows (see {@link ErasureWindow}):
 * every {@link ErasureWindow#nudgeInterval()} it sets their retention settings where they differ (a changelog is
 * made by Kafka Streams, and topics of earlier versions had others), and appends to each of their partitions a
 * marker, a tombstone of the empty key marked {@link Purges#HEADER}, so that Kafka rolls a quiet partition's
 * segment and the cleaner can reach what a purge left there. The empty key is never a record's, an index entry's
 * or a row's (a row without a key is a dead letter); the topology skips marked tombstones in sync topics, and a
 * store restoring the marker deletes a key it never holds. Every instance ticks: markers from several are harmless.
 * Other teams' topics (topic syncs) are not Persona's to change.
 *
 * <p>Repartition topics are emptied up to the application's committed offsets: Kafka Streams does so itself every
 * 30 s, but only for offsets its task committed since it was assigned, so a partition that moved to another instance
 * and got no new row kept what it held for good (PurgeIT found a purged person's order there). Records below a
 * committed offset were merged already; deleting them loses nothing.
 */
public final class ErasureTicker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ErasureTicker.class);
    private static final byte[] MARKER_KEY = new byte[0];

    private final PersonaConfig config;
    private final ErasureWindow window;
    private final Admin admin;
    private final KafkaProducer<byte[], byte[]> producer;
    private final ScheduledExecutorService timer;
    private volatile boolean warned;

    private ErasureTicker(final PersonaConfig config, final Map<String, Object> clientProps) {
        this.config = config;
        this.window = new ErasureWindow(config.kafka().erasureWindow());
        this.admin = Admin.create(clientProps);
        final Map<String, Object> producerProps = new HashMap<>(clientProps);
        producerProps.put(ProducerConfig.CLIENT_ID_CONFIG, "persona-erasure-ticker");
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer());
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "persona-erasure-ticker");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts ticking: the first tick soon after start, when Kafka Streams has made its changelogs. */
    public static ErasureTicker start(final PersonaConfig config, final Map<String, Object> clientProps) {
        final ErasureTicker ticker = new ErasureTicker(config, clientProps);
        final long every = Math.max(1_000, ticker.window.nudgeInterval().toMillis());
        ticker.timer.scheduleWithFixedDelay(ticker::tick, Math.min(every, 10_000), every, TimeUnit.MILLISECONDS);
        return ticker;
    }

    /** The topics a tick covers: Persona's own row topics, and every changelog of the application's stores. */
    static Set<String> rowTopics(final PersonaConfig config, final Collection<String> existing) {
        final TopicNames names = new TopicNames(config.kafka());
        final Set<String> topics = new TreeSet<>();
        for (final CollectionConfig collection : config.collections()) {
            topics.add(names.deadLetterTopic(collection.name()));
            topics.add(names.purges(collection.name()));
            for (final SyncConfig sync : config.syncsOf(collection.name())) {
                topics.add(names.ownTopic(sync));
            }
        }
        topics.add(names.runSamples());
        final String prefix = config.kafka().applicationId() + "-";
        existing.stream().filter(t -> t.startsWith(prefix) && t.endsWith("-changelog")).forEach(topics::add);
        topics.retainAll(existing);
        return topics;
    }

    void tick() {
        try {
            final Set<String> topics = rowTopics(config, admin.listTopics().names().get(30, TimeUnit.SECONDS));
            align(topics);
            purgeRepartitions();
            final Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
            for (final TopicDescription topic : described.values()) {
                topic.partitions().forEach(p -> producer.send(marker(topic.name(), p.partition())));
            }
            producer.flush();
        } catch (final Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
                return;
            }
            LOG.warn("Could not keep the erasure window on Persona's topics this time ({}); trying again in {} s", e.getMessage(),
                    window.nudgeInterval().toSeconds());
        }
    }

    /** Deletes what the application's consumer group has committed past in its repartition topics. */
    private void purgeRepartitions() throws Exception {
        final String prefix = config.kafka().applicationId() + "-";
        final Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.RecordsToDelete> purge = new HashMap<>();
        admin.listConsumerGroupOffsets(config.kafka().applicationId()).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS)
                .forEach((partition, committed) -> {
                    if (committed != null && partition.topic().startsWith(prefix) && partition.topic().endsWith("-repartition")) {
                        purge.put(partition, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(committed.offset()));
                    }
                });
        if (!purge.isEmpty()) {
            admin.deleteRecords(purge).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static ProducerRecord<byte[], byte[]> marker(final String topic, final int partition) {
        final RecordHeaders headers = new RecordHeaders();
        headers.add(Purges.HEADER, new byte[]{1});
        return new ProducerRecord<>(topic, partition, MARKER_KEY, null, headers);
    }

    /** Sets the window's settings on the topics whose settings differ. */
    private void align(final Set<String> topics) throws Exception {
        final List<ConfigResource> resources = topics.stream().map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
        final Map<ConfigResource, Config> current = admin.describeConfigs(resources).all().get(30, TimeUnit.SECONDS);
        final Map<ConfigResource, Collection<AlterConfigOp>> changes = new HashMap<>();
        current.forEach((resource, config) -> {
            final List<AlterConfigOp> ops = new ArrayList<>();
            window.topicConfigs().forEach((name, value) -> {
                final ConfigEntry entry = config.get(name);
                if (entry == null || !value.equals(entry.value())) {
                    ops.add(new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET));
                }
            });
            if (!ops.isEmpty()) {
                changes.put(resource, ops);
            }
        });
        if (changes.isEmpty()) {
            return;
        }
        try {
            admin.incrementalAlterConfigs(changes).all().get(30, TimeUnit.SECONDS);
            LOG.info("Set the erasure window ({}) on {}", config.kafka().erasureWindow(), changes.keySet().stream().map(ConfigResource::name).sorted().toList());
        } catch (final java.util.concurrent.ExecutionException e) {
            if (!warned) {
                warned = true;
                LOG.warn("Cannot set the erasure window on Persona's topics ({}): a purged person's rows stay until Kafka's own retention "
                        + "removes them. Grant AlterConfigs on them, or set {} on each of {}", e.getCause().getMessage(),
                        window.topicConfigs(), changes.keySet().stream().map(ConfigResource::name).sorted().toList());
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(java.time.Duration.ofSeconds(5));
        admin.close(java.time.Duration.ofSeconds(5));
    }
}
