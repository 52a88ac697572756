package dev.persona.purge;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.config.CollectionConfig;
import dev.persona.config.PersonaConfig;
import dev.persona.config.SyncConfig;
import dev.persona.topology.Json;
import dev.persona.topology.KeyPartitions;
import dev.persona.topology.PersonaTopology;
import dev.persona.topology.Purges;
import dev.persona.topology.TopicNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Removes one person's record from everywhere Persona keeps it (GDPR erasure), in this order:
 * <ol>
 *   <li>a purge tombstone ({@link Purges#HEADER}) for the key in every topic of Persona's that holds rows by it: the
 *       collection's CDC and query sync topics, topic syncs' replay topics, its dead letters and the run debugger's
 *       samples (not a query sync's state, which holds the key and a hash of the row, no data: see below);
 *       compaction then removes
 *       the key's earlier rows;</li>
 *   <li>a purge request to the topology, which removes the record and its index entries (tombstones in their
 *       changelogs) and puts the syncs that wrote it on the purge list, so that they cannot bring it back before
 *       their source deletes the row;</li>
 *   <li>once the topology has committed the request, a tombstone for the request itself;</li>
 *   <li>an entry in the audit topic: who, when, the collection and index, and SHA-256 hashes of the key and the
 *       value asked for; never the data, nor the key in clear.</li>
 * </ol>
 * Topics of other teams (topic syncs) are not Persona's to change: the report names them.
 */
public final class RecordPurger implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RecordPurger.class);
    private static final ObjectMapper MAPPER = Json.mapper();
    static final Duration APPLY_TIMEOUT = Duration.ofSeconds(60);

    private final PersonaConfig config;
    private final TopicNames names;
    private final Map<String, Object> clientProperties;
    private final KafkaProducer<String, byte[]> producer;
    private final Clock clock;

    public RecordPurger(final PersonaConfig config, final Map<String, Object> clientProperties, final Clock clock) {
        this.config = config;
        this.names = new TopicNames(config.kafka());
        this.clientProperties = Map.copyOf(clientProperties);
        final Map<String, Object> props = new HashMap<>(clientProperties);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "persona-purge");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        this.clock = clock;
    }

    /**
     * Who asks for a purge and what they asked for, as the audit log keeps it.
     *
     * @param keyId   the admin key's id
     * @param keyName its name
     * @param index   the index the person was named by
     * @param value   the value asked for (kept only as a hash)
     */
    public record Request(String keyId, String keyName, String index, String value) {
    }

    /**
     * Purges the record {@code key} of {@code collection}.
     *
     * @return the audit entry written (also the answer to the caller)
     * @throws PurgeFailedException when Kafka does not take a write, or the topology does not apply the request in time;
     *                              a purge may be repeated safely
     */
    public ObjectNode purge(final CollectionConfig collection, final String key, final Request request) {
        final List<String> cleared = new ArrayList<>();
        final List<String> notOurs = new ArrayList<>();
        final List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (final SyncConfig sync : config.syncsOf(collection.name())) {
            sent.add(tombstone(names.ownTopic(sync), key));
            cleared.add(names.ownTopic(sync));
            if (!sync.source().runByOneInstance()) {
                // Another team's topic is not Persona's to write to: the audit entry names it.
                notOurs.add(names.sourceTopic(sync));
            }
            // A query sync's state (the key and a 64-bit hash of its row, no data) is left as it is: without it, a
            // restart of the sync would take the row, which its source still holds, for a new one and write it to the
            // sync topic again. The source's delete of the row removes it.
        }
        sent.add(tombstone(names.deadLetterTopic(collection.name()), key));
        cleared.add(names.deadLetterTopic(collection.name()));
        // The run debugger's samples of the record's changes, keyed <run>/<key>: found by reading the topic.
        for (final String sample : sampleKeys(key)) {
            sent.add(tombstone(names.runSamples(), sample));
        }
        cleared.add(names.runSamples());
        final ObjectNode asked = MAPPER.createObjectNode().put("at", Instant.now(clock).toString());
        final RecordMetadata placed = await(producer.send(new ProducerRecord<>(names.purges(collection.name()), key, bytes(asked))), "request");
        sent.forEach(f -> await(f, "tombstone"));
        awaitApplied(collection, key, new TopicPartition(placed.topic(), placed.partition()), placed.offset());
        await(producer.send(new ProducerRecord<>(names.purges(collection.name()), key, null)), "request tombstone");

        final ObjectNode audit = MAPPER.createObjectNode();
        audit.put("at", Instant.now(clock).toString());
        audit.putObject("by").put("keyId", request.keyId()).put("keyName", request.keyName());
        audit.put("collection", collection.name());
        audit.put("index", request.index());
        audit.put("valueSha256", Purges.hash(request.value()));
        audit.put("keySha256", Purges.hash(key));
        audit.set("cleared", MAPPER.valueToTree(cleared));
        audit.set("notPersonas", MAPPER.valueToTree(notOurs));
        await(producer.send(new ProducerRecord<>(names.purgeAudit(), Purges.hash(key), bytes(audit))), "audit entry");
        LOG.info("Purged a record of collection {} at the request of API key '{}' ({}); other teams' topics that may still hold it: {}",
                collection.name(), request.keyName(), request.keyId(), notOurs);
        return audit;
    }

    /** The keys of the samples topic that hold changes of {@code key}: every run's {@code <run>/<key>}. */
    private java.util.Set<String> sampleKeys(final String key) {
        final Map<String, Object> props = new HashMap<>(clientProperties);
        props.remove(org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_ID_CONFIG);
        props.put(org.apache.kafka.clients.consumer.ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(org.apache.kafka.clients.consumer.ConsumerConfig.CLIENT_ID_CONFIG, "persona-purge-samples");
        final java.util.Set<String> found = new java.util.LinkedHashSet<>();
        try (org.apache.kafka.clients.consumer.KafkaConsumer<String, byte[]> consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(props,
                new org.apache.kafka.common.serialization.StringDeserializer(), new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = consumer.partitionsFor(names.runSamples(), APPLY_TIMEOUT).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, APPLY_TIMEOUT);
            final long deadline = System.nanoTime() + APPLY_TIMEOUT.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new PurgeFailedException("the run samples could not be read within " + APPLY_TIMEOUT.toSeconds() + " s; purge again");
                }
                for (final org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    // Run ids hold no '/': the first one ends the run's part of the key.
                    if (record.key() != null && record.value() != null && record.key().indexOf('/') >= 0
                            && record.key().substring(record.key().indexOf('/') + 1).equals(key)) {
                        found.add(record.key());
                    }
                }
            }
        } catch (final org.apache.kafka.common.KafkaException e) {
            throw new PurgeFailedException("the run samples could not be read: " + e.getMessage() + "; purge again");
        }
        return found;
    }

    private Future<RecordMetadata> tombstone(final String topic, final String key) {
        final RecordHeaders headers = new RecordHeaders();
        headers.add(Purges.HEADER, new byte[] {1});
        return producer.send(new ProducerRecord<>(topic, null, key, null, headers));
    }

    /**
     * Waits until the topology has applied the request at {@code offset} of {@code partition}. A resized collection
     * reads its purge requests (made with the old partition count) through a repartition step: then the request is
     * applied once the group has also read everything that step had written when it passed the request on.
     */
    private void awaitApplied(final CollectionConfig collection, final String key, final TopicPartition partition, final long offset) {
        final long deadline = System.nanoTime() + APPLY_TIMEOUT.toNanos();
        try (Admin admin = Admin.create(clientProperties)) {
            awaitCommitted(admin, partition, offset, deadline);
            final int partitions = admin.describeTopics(List.of(partition.topic())).allTopicNames().get(10, TimeUnit.SECONDS)
                    .get(partition.topic()).partitions().size();
            if (partitions != collection.partitions()) {
                final TopicPartition resized = new TopicPartition(config.kafka().applicationId() + "-"
                        + PersonaTopology.resizedOf(collection.name(), "purge-requests") + "-repartition", KeyPartitions.of(key, collection.partitions()));
                // The high watermark, not the last stable offset: another task's open transaction may start before
                // the request the step passed on, and hold the stable offset below it.
                final long end = admin.listOffsets(Map.of(resized, OffsetSpec.latest())).partitionResult(resized).get(10, TimeUnit.SECONDS).offset();
                awaitCommitted(admin, resized, end - 1, deadline);
            }
        } catch (final ExecutionException | TimeoutException e) {
            throw new PurgeFailedException("cannot read the topology's position: " + e.getMessage());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PurgeFailedException("interrupted while waiting for the purge to be applied");
        }
    }

    /** Waits until the topology's group has committed past {@code offset} of {@code partition}. */
    private void awaitCommitted(final Admin admin, final TopicPartition partition, final long offset, final long deadline)
            throws ExecutionException, TimeoutException, InterruptedException {
        if (offset < 0) {
            return;
        }
        while (true) {
            final OffsetAndMetadata committed = admin.listConsumerGroupOffsets(config.kafka().applicationId())
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS).get(partition);
            if (committed != null && committed.offset() > offset) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new PurgeFailedException("the purge request was written, but the topology had not applied it within "
                        + APPLY_TIMEOUT.toSeconds() + " s (is every instance stopped, or the partition restoring?); it will be "
                        + "applied when the topology reaches it. Purge again to be told when it is done");
            }
            Thread.sleep(100);
        }
    }

    private static <T> T await(final Future<T> future, final String what) {
        try {
            return future.get(60, TimeUnit.SECONDS);
        } catch (final ExecutionException | TimeoutException e) {
            throw new PurgeFailedException("Kafka did not take the purge's " + what + ": " + (e.getCause() == null ? e : e.getCause()).getMessage()
                    + "; nothing is lost by purging again");
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PurgeFailedException("interrupted while writing the purge's " + what);
        }
    }

    private static byte[] bytes(final ObjectNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
