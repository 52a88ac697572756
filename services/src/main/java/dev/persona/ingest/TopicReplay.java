package dev.persona.ingest;

import dev.persona.config.SourceConfig;
import dev.persona.config.SyncConfig;
import dev.persona.topology.Replays;
import dev.persona.topology.RunSamples;
import dev.persona.topology.TopicNames;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A full resync of a topic sync: its topic read from the earliest offset Kafka still holds up to the end as it was
 * when asked, each row copied, with its key, value, headers and timestamp, to the sync's replay topic
 * ({@link TopicNames#replay}) marked {@link Replays#HEADER}. The topology reads the copies as it reads the topic; a
 * copy that a live change of its record overtook is not applied. Rows of a copartitioned topic keep their partition.
 * Committed rows only, as the topology reads them.
 */
final class TopicReplay {
    private static final Logger LOG = LoggerFactory.getLogger(TopicReplay.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private TopicReplay() {
    }

    /**
     * Copies the topic's rows; a run of the sync, triggered {@code full}, records how many.
     *
     * @param cancelled set when the instance stops: the copy ends where it is, recorded as cancelled
     */
    static SyncRun copy(final SyncConfig sync, final TopicNames names, final Map<String, Object> clientProperties, final SyncRun started,
                        final AtomicReference<Boolean> cancelled) {
        final SourceConfig.Topic source = (SourceConfig.Topic) sync.source();
        final String replay = names.replay(sync);
        final Map<String, Object> consumerProps = new HashMap<>(clientProperties);
        consumerProps.remove(ConsumerConfig.GROUP_ID_CONFIG);
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerProps.put(ConsumerConfig.CLIENT_ID_CONFIG, "persona-replay-" + sync.id());
        consumerProps.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2_000);
        final Map<String, Object> producerProps = new HashMap<>(clientProperties);
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        producerProps.put(ProducerConfig.CLIENT_ID_CONFIG, "persona-replay-" + sync.id());
        long copied = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer());
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer())) {
            final List<PartitionInfo> infos = consumer.partitionsFor(source.topic(), TIMEOUT);
            final List<TopicPartition> partitions = infos.stream().map(i -> new TopicPartition(source.topic(), i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, TIMEOUT);
            final java.util.concurrent.atomic.AtomicReference<Exception> failure = new java.util.concurrent.atomic.AtomicReference<>();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                if (Boolean.TRUE.equals(cancelled.get())) {
                    producer.flush();
                    return started.cancelled();
                }
                for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.offset() >= ends.get(new TopicPartition(record.topic(), record.partition()))) {
                        continue;
                    }
                    final RecordHeaders headers = new RecordHeaders(record.headers().toArray());
                    headers.add(Replays.HEADER, new byte[] {1});
                    headers.remove(RunSamples.RUN_HEADER);
                    headers.add(RunSamples.RUN_HEADER, started.id().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    producer.send(new ProducerRecord<>(replay, source.copartitioned() ? Integer.valueOf(record.partition()) : null,
                            record.timestamp(), record.key(), record.value(), headers), (metadata, e) -> {
                                if (e != null) {
                                    failure.compareAndSet(null, e);
                                }
                            });
                    copied++;
                }
                if (failure.get() != null) {
                    break;
                }
            }
            producer.flush();
            if (failure.get() != null) {
                return started.failed("Kafka did not take a row copied to " + replay + ": " + failure.get().getMessage()
                        + "; run the resync again (rows copied twice are harmless)");
            }
        } catch (final RuntimeException e) {
            LOG.warn("Sync {}: the resync stopped after {} rows", sync.id(), copied, e);
            return started.failed("the resync stopped after " + copied + " rows: " + e.getMessage() + "; run it again");
        }
        LOG.info("Sync {}: read {} rows of {} again (through {})", sync.id(), copied, source.topic(), replay);
        return started.succeeded(copied, copied, 0, 0, 0);
    }
}
