package dev.persona.cluster;

import dev.persona.topology.KeyPartitions;
import dev.persona.topology.StoreResize;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Makes a new topology version start where a running one stands, in one Kafka transaction: the changelogs of the
 * stores both versions have are copied (partition by partition), the unread rest of the repartition topics both have
 * too, and the old version's consumer-group position in its source topics becomes the new version's. The new version
 * then restores its stores from the copies and goes on from that position, re-reading at most what the old one
 * processed while the copy was made (a change merged twice in order leaves what merging it once leaves). A sync
 * that only the new version has is read from its topic's start. Whatever the sync topics' retention dropped long ago
 * is in the copies, so a version never depends on it.
 * <p>
 * The copy is a consistent cut although the old version goes on: its position is read first, then the ends of its
 * changelogs (their last stable offsets: what was committed by then), then the ends of its repartition topics (their
 * high watermarks: a record committed there may lie past the last stable offset, behind another task's transaction
 * that is still open, and is copied once that one has ended). A change it merged before the changelogs' ends is in the
 * copied store, so the new version's second merge of it changes nothing and claims no index value again: what the
 * first merge sent on (an index claim or release) is then in the repartition topics before their ends, which are
 * read later, and copied. A change merged after is not in the copied store, and its second merge sends it again.
 * The tails are copied first, because Kafka Streams deletes what a repartition topic's group has read: a tail cut
 * short by that (the old version read past its position meanwhile) fails the attempt, which starts over.
 * <p>
 * Two instances of a new version may start together: the transactional id is the version's, so the later one fences
 * the earlier, and one that finds the new group already positioned does nothing.
 */
public final class VersionSeed {
    private static final Logger LOG = LoggerFactory.getLogger(VersionSeed.class);
    private static final Duration POLL = Duration.ofMillis(200);
    /** The longest a copy may take (the broker's default {@code transaction.max.timeout.ms}). */
    private static final int TRANSACTION_TIMEOUT_MS = 900_000;
    /** Settings of the old changelog that the copy takes over (the rest are the broker's defaults or Streams'). */
    private static final Set<String> COPIED_CONFIGS = Set.of("cleanup.policy", "segment.ms", "max.compaction.lag.ms", "min.compaction.lag.ms",
            "delete.retention.ms", "min.insync.replicas", "retention.ms", "message.timestamp.type", "max.message.bytes");

    private VersionSeed() {
    }

    /** What a seed copied. */
    public record Copied(long records, int topics, int positions, boolean already) {
    }

    /** Copies {@code from}'s state into {@code to}, each store and repartition topic at its partition count. */
    public static Copied seed(final Map<String, Object> clientProperties, final TopologyVersion from, final TopologyVersion to,
                              final Map<String, List<java.util.Optional<String>>> sharedTopics) {
        return seed(clientProperties, from, to, sharedTopics, Map.of());
    }

    /**
     * Copies {@code from}'s state into {@code to}, unless {@code to} has a position already. A store or repartition
     * topic whose partition count {@code to} changes (a collection resized) is copied key by key into the partition
     * of its key among the new count (Kafka's default partitioner, as Streams places them); a partition's own
     * bookkeeping (purge lists, claimed indices, merged syncs) goes to every new partition, combined.
     *
     * @param partitions the new version's partition count of each store and repartition topic, by name (without the
     *                   application id); one missing keeps the running version's count
     * @throws IllegalStateException when Kafka fails
     */
    public static Copied seed(final Map<String, Object> clientProperties, final TopologyVersion from, final TopologyVersion to,
                              final Map<String, List<java.util.Optional<String>>> sharedTopics, final Map<String, Integer> partitions) {
        KafkaException last = null;
        for (int attempt = 1; attempt <= 5; attempt++) {
            try {
                return attempt(clientProperties, from, to, sharedTopics, partitions);
            } catch (final ProducerFencedException e) {
                // Another instance of the new version seeds now: it or this one's next attempt finds the position.
                last = e;
                LOG.info("Another instance is seeding version {}; checking again", to.applicationId());
            } catch (final TailPurged e) {
                last = e;
                LOG.info("Seeding version {}: {}; starting over from where the running version stands now", to.applicationId(), e.getMessage());
            }
        }
        throw new IllegalStateException("could not seed topology version " + to.applicationId() + " from " + from.applicationId(), last);
    }

    private static Copied attempt(final Map<String, Object> clientProperties, final TopologyVersion from, final TopologyVersion to,
                                  final Map<String, List<java.util.Optional<String>>> sharedTopics, final Map<String, Integer> partitions) {
        final long start = System.nanoTime();
        try (Admin admin = Admin.create(clientProperties);
             KafkaProducer<byte[], byte[]> producer = producer(clientProperties, to)) {
            producer.initTransactions();
            if (!admin.listConsumerGroupOffsets(to.applicationId()).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).isEmpty()) {
                return new Copied(0, 0, 0, true);
            }
            final Map<TopicPartition, OffsetAndMetadata> position =
                    admin.listConsumerGroupOffsets(from.applicationId()).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            final Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            final Map<String, String> copies = new HashMap<>();
            // Each copy's topic (the new version's) by its name without the application id, for its partition count.
            final Map<String, String> names = new HashMap<>();
            final Set<String> ownEntries = new java.util.HashSet<>();
            for (final String store : to.stores()) {
                if (from.stores().contains(store) && existing.contains(from.changelog(store))) {
                    copies.put(from.changelog(store), to.changelog(store));
                    names.put(to.changelog(store), store);
                    if (StoreResize.ownEntries(store)) {
                        ownEntries.add(from.changelog(store));
                    }
                }
            }
            final Map<String, String> tails = new HashMap<>();
            for (final String name : to.repartitions()) {
                final String source = from.applicationId() + "-" + name;
                if (existing.contains(source)) {
                    tails.put(source, to.applicationId() + "-" + name);
                    names.put(to.applicationId() + "-" + name, name);
                }
            }
            final Set<String> sources = new TreeSet<>(copies.keySet());
            sources.addAll(tails.keySet());
            final Map<String, TopicDescription> described = sources.isEmpty() ? Map.of()
                    : admin.describeTopics(sources).allTopicNames().get(30, TimeUnit.SECONDS);
            final Map<String, Integer> counts = new HashMap<>();
            sources.forEach(source -> {
                final String target = copies.containsKey(source) ? copies.get(source) : tails.get(source);
                counts.put(target, partitions.getOrDefault(names.get(target), described.get(source).partitions().size()));
            });
            createCopies(admin, described, copies, tails, existing, counts);
            // In this order (see the class comment): the position above, then the changelogs' ends, then the tails'.
            final Map<TopicPartition, Long> changelogEnds = ends(clientProperties, copies.keySet(), described, true);
            final Map<TopicPartition, Long> tailEnds = ends(clientProperties, tails.keySet(), described, false);
            producer.beginTransaction();
            long records = 0;
            try {
                for (final Map.Entry<String, String> tail : tails.entrySet()) {
                    records += copy(clientProperties, producer, described.get(tail.getKey()), new Target(tail.getValue(), counts.get(tail.getValue()), false),
                            position, tailEnds);
                }
            } catch (final TailPurged e) {
                producer.abortTransaction();
                throw e;
            }
            for (final Map.Entry<String, String> copy : copies.entrySet()) {
                records += copy(clientProperties, producer, described.get(copy.getKey()),
                        new Target(copy.getValue(), counts.get(copy.getValue()), ownEntries.contains(copy.getKey())), Map.of(), changelogEnds);
            }
            // The old version's position in every topic that is not its own becomes the new version's.
            final Set<String> internal = from.internalTopics();
            final Set<String> fromStart = readFromStart(from, position, sharedTopics);
            final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            position.forEach((partition, offset) -> {
                if (offset != null && !internal.contains(partition.topic()) && !internalByName(from, partition.topic())
                        && !fromStart.contains(partition.topic())) {
                    offsets.put(partition, new OffsetAndMetadata(offset.offset()));
                }
            });
            if (!offsets.isEmpty()) {
                producer.sendOffsetsToTransaction(offsets, new ConsumerGroupMetadata(to.applicationId()));
            }
            producer.commitTransaction();
            LOG.info("Seeded topology version {} from {}: {} records of {} topics, {} source positions, in {} ms", to.applicationId(),
                    from.applicationId(), records, copies.size() + tails.size(), offsets.size(), (System.nanoTime() - start) / 1_000_000);
            return new Copied(records, copies.size() + tails.size(), offsets.size(), false);
        } catch (final ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot seed topology version " + to.applicationId() + " from " + from.applicationId() + ": " + e, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while seeding topology version " + to.applicationId(), e);
        }
    }

    /**
     * The topics another team writes that a sync of the new version reads and the old version may not have read with
     * it: their position is not taken over, so that the sync sees every row they hold (the syncs that read them
     * already merge their rows again, in order, which leaves what they left). A sync is known to the old version when
     * its repartition topic (its rows keyed) has a position there; a copartitioned one has none to tell by.
     *
     * @param sharedTopics per topic, what proves each sync reading it ran in the old version: the name of the sync's
     *                     repartition topic without the application id, or empty when nothing can
     */
    static Set<String> readFromStart(final TopologyVersion from, final Map<TopicPartition, OffsetAndMetadata> position,
                                     final Map<String, List<java.util.Optional<String>>> sharedTopics) {
        final Set<String> positioned = new TreeSet<>();
        position.keySet().forEach(partition -> positioned.add(partition.topic()));
        final Set<String> fromStart = new TreeSet<>();
        sharedTopics.forEach((topic, proofs) -> {
            if (proofs.stream().anyMatch(proof -> proof.isEmpty() || !positioned.contains(from.applicationId() + "-" + proof.get()))) {
                fromStart.add(topic);
            }
        });
        return fromStart;
    }

    /** Whether {@code topic} is named as one of {@code version}'s own (a version recorded before it listed them). */
    private static boolean internalByName(final TopologyVersion version, final String topic) {
        return topic.startsWith(version.applicationId() + "-") && (topic.endsWith("-repartition") || topic.endsWith("-changelog"));
    }

    /**
     * Creates each copy's topic as its source is (replication, retention settings) with its partition count in
     * {@code counts}, when it is missing.
     */
    private static void createCopies(final Admin admin, final Map<String, TopicDescription> described, final Map<String, String> copies,
                                     final Map<String, String> tails, final Set<String> existing, final Map<String, Integer> counts)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        final Map<String, String> all = new HashMap<>(copies);
        all.putAll(tails);
        final List<ConfigResource> resources = all.keySet().stream().map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
        final Map<ConfigResource, Config> configs = resources.isEmpty() ? Map.of() : admin.describeConfigs(resources).all().get(30, TimeUnit.SECONDS);
        final List<NewTopic> topics = new ArrayList<>();
        for (final Map.Entry<String, String> copy : all.entrySet()) {
            final TopicDescription source = described.get(copy.getKey());
            if (existing.contains(copy.getValue())) {
                final int partitions = admin.describeTopics(List.of(copy.getValue())).allTopicNames().get(30, TimeUnit.SECONDS)
                        .get(copy.getValue()).partitions().size();
                if (partitions != counts.get(copy.getValue())) {
                    throw new IllegalStateException(copy.getValue() + " has " + partitions + " partitions, where the new version has "
                            + counts.get(copy.getValue()) + ": delete the topic (no instance runs its version yet) and start again");
                }
                continue;
            }
            final Map<String, String> settings = new HashMap<>();
            for (final ConfigEntry entry : configs.get(new ConfigResource(ConfigResource.Type.TOPIC, copy.getKey())).entries()) {
                if (COPIED_CONFIGS.contains(entry.name()) && entry.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG) {
                    settings.put(entry.name(), entry.value());
                }
            }
            topics.add(new NewTopic(copy.getValue(), counts.get(copy.getValue()), (short) source.partitions().get(0).replicas().size()).configs(settings));
        }
        if (topics.isEmpty()) {
            return;
        }
        try {
            admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
        } catch (final ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
    }

    /**
     * The end of every partition of {@code topics}: its last stable offset when {@code committed} (what was committed
     * by then; a changelog has one writer, the task that owns the partition), else its high watermark. A repartition
     * topic's partition has a writer per task of the step before it: another's transaction, open since before a
     * committed record, holds the last stable offset below that record, which a copy up to it would leave out. Up to
     * the high watermark, the copy reads (read_committed) until the transactions open then have ended.
     */
    private static Map<TopicPartition, Long> ends(final Map<String, Object> clientProperties, final Set<String> topics,
                                                  final Map<String, TopicDescription> described, final boolean committed) {
        if (topics.isEmpty()) {
            return Map.of();
        }
        final List<TopicPartition> partitions = new ArrayList<>();
        topics.forEach(topic -> described.get(topic).partitions().forEach(p -> partitions.add(new TopicPartition(topic, p.partition()))));
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(clientProperties, committed ? "read_committed" : "read_uncommitted")) {
            return consumer.endOffsets(partitions, Duration.ofSeconds(30));
        }
    }

    /**
     * Copies every committed record of {@code source} (from {@code from}'s offsets where given, else the start) up to
     * {@code ends} into the same partitions of {@code target}, in the producer's transaction.
     *
     * @throws TailPurged when a partition no longer holds a record at its offset in {@code from} (deleted since)
     */
    private static long copy(final Map<String, Object> clientProperties, final KafkaProducer<byte[], byte[]> producer, final TopicDescription source,
                             final Target target, final Map<TopicPartition, OffsetAndMetadata> from, final Map<TopicPartition, Long> ends) {
        final boolean resized = target.partitions() != source.partitions().size();
        // A resized store's bookkeeping, per old partition: combined at the end for every new one.
        final List<Map<String, byte[]>> own = new ArrayList<>();
        source.partitions().forEach(p -> own.add(new java.util.LinkedHashMap<>()));
        long copied = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(clientProperties)) {
            final List<TopicPartition> partitions = source.partitions().stream().map(p -> new TopicPartition(source.name(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            for (final TopicPartition partition : partitions) {
                final OffsetAndMetadata offset = from.get(partition);
                if (offset != null) {
                    consumer.seek(partition, offset.offset());
                }
            }
            final Set<TopicPartition> left = new java.util.HashSet<>(partitions);
            left.removeIf(p -> consumer.position(p) >= ends.get(p));
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TRANSACTION_TIMEOUT_MS);
            while (!left.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("copying " + source.name() + " took longer than the copy's transaction may last ("
                            + TRANSACTION_TIMEOUT_MS / 60_000 + " min): " + left + " not done");
                }
                final ConsumerRecords<byte[], byte[]> batch;
                try {
                    batch = consumer.poll(POLL);
                } catch (final OffsetOutOfRangeException e) {
                    throw new TailPurged(source.name() + " was deleted past the running version's position " + e.offsetOutOfRangePartitions());
                }
                for (final ConsumerRecord<byte[], byte[]> record : batch) {
                    final TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                    if (record.offset() >= ends.get(partition)) {
                        continue;
                    }
                    if (!resized) {
                        producer.send(new ProducerRecord<>(target.topic(), record.partition(), record.timestamp(), record.key(), record.value(), record.headers()));
                        copied++;
                    } else if (target.ownEntries()) {
                        own.get(record.partition()).put(new String(record.key(), StandardCharsets.UTF_8), record.value());
                    } else {
                        final int placed = KeyPartitions.of(record.key(), target.partitions());
                        producer.send(new ProducerRecord<>(target.topic(), placed, record.timestamp(), record.key(), record.value(), record.headers()));
                        copied++;
                    }
                }
                left.removeIf(p -> consumer.position(p) >= ends.get(p));
                if (!left.isEmpty()) {
                    consumer.pause(partitions.stream().filter(p -> !left.contains(p)).toList());
                }
            }
        }
        if (resized && target.ownEntries()) {
            final Map<String, byte[]> combined = StoreResize.combined(own);
            for (int p = 0; p < target.partitions(); p++) {
                for (final Map.Entry<String, byte[]> entry : combined.entrySet()) {
                    producer.send(new ProducerRecord<>(target.topic(), p, entry.getKey().getBytes(StandardCharsets.UTF_8), entry.getValue()));
                    copied++;
                }
            }
        }
        return copied;
    }

    /**
     * Where a copy goes: a topic of the new version, its partition count, and whether its records are each a
     * partition's own bookkeeping rather than keyed (the purge store's).
     */
    private record Target(String topic, int partitions, boolean ownEntries) {
    }

    /**
     * A read_committed consumer without a group that never skips: a position the topic no longer holds throws
     * ({@code auto.offset.reset=none}) instead of silently jumping to an end.
     */
    private static KafkaConsumer<byte[], byte[]> consumer(final Map<String, Object> clientProperties) {
        return consumer(clientProperties, "read_committed");
    }

    private static KafkaConsumer<byte[], byte[]> consumer(final Map<String, Object> clientProperties, final String isolation) {
        final Map<String, Object> props = new HashMap<>(clientProperties);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
        props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** A repartition topic's tail was deleted (Streams' purge of what its group read) while being copied. */
    static final class TailPurged extends KafkaException {
        TailPurged(final String message) {
            super(message);
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(final Map<String, Object> clientProperties, final TopologyVersion to) {
        final Map<String, Object> props = new HashMap<>(clientProperties);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, to.applicationId() + "-seed");
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, TRANSACTION_TIMEOUT_MS);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 * 1024 * 1024);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "persona-version-seed");
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
