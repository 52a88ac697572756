package dev.persona.kafka;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Reads the newest records of a topic for people to look at (the console's dead letters, a record's revisions in
 * its changelog): a consumer of its own, without a group, assigned and seeked to the last {@code window} offsets of
 * each partition, read up to the end as it was when asked, within a deadline. Committed records only, and read as
 * compaction will leave them: a record whose key has a later tombstone in the window is not shown, so that what a
 * purge erased is never shown again while the log cleaner has yet to remove it.
 *
 * @param clientProperties the instance's Kafka client properties (bootstrap servers, security)
 */
public record TopicTail(Map<String, Object> clientProperties) {

    /**
     * The newest records of {@code topic} that {@code wanted} accepts, newest first, at most {@code limit}, looking at
     * the last {@code window} offsets of each partition (or of {@code partition} alone).
     *
     * @return what was read before {@code timeout}; empty for a topic that does not exist
     */
    public List<ConsumerRecord<byte[], byte[]>> newest(final String topic, final Optional<Integer> partition, final int window,
                                                      final int limit, final Predicate<ConsumerRecord<byte[], byte[]>> wanted,
                                                      final Duration timeout) {
        final Map<String, Object> props = new HashMap<>(clientProperties);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "persona-topic-tail");
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        final List<ConsumerRecord<byte[], byte[]>> found = new ArrayList<>();
        final Map<TopicPartition, Map<java.nio.ByteBuffer, Long>> tombstones = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            final List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                return List.of();
            }
            final List<TopicPartition> partitions = infos.stream().map(i -> new TopicPartition(topic, i.partition()))
                    .filter(p -> partition.isEmpty() || partition.get() == p.partition()).toList();
            consumer.assign(partitions);
            final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
            final Map<TopicPartition, Long> begins = consumer.beginningOffsets(partitions, timeout);
            final Map<TopicPartition, Long> remaining = new HashMap<>();
            for (final TopicPartition p : partitions) {
                final long end = ends.getOrDefault(p, 0L);
                consumer.seek(p, Math.max(begins.getOrDefault(p, 0L), end - window));
                if (end > begins.getOrDefault(p, 0L)) {
                    remaining.put(p, end);
                }
            }
            final long deadline = System.nanoTime() + timeout.toNanos();
            while (!remaining.isEmpty() && System.nanoTime() < deadline) {
                for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    final TopicPartition p = new TopicPartition(record.topic(), record.partition());
                    if (!remaining.containsKey(p) || record.offset() >= remaining.get(p)) {
                        continue;
                    }
                    if (record.value() == null && record.key() != null) {
                        tombstones.computeIfAbsent(p, x -> new HashMap<>()).merge(java.nio.ByteBuffer.wrap(record.key()), record.offset(), Math::max);
                    }
                    if (wanted.test(record)) {
                        found.add(record);
                    }
                }
                // Transaction markers take offsets without being records: the position tells when the end is reached.
                remaining.keySet().removeIf(p -> consumer.position(p) >= remaining.get(p));
            }
        }
        found.removeIf(record -> record.value() != null && record.key() != null && tombstones
                .getOrDefault(new TopicPartition(record.topic(), record.partition()), Map.of())
                .getOrDefault(java.nio.ByteBuffer.wrap(record.key()), -1L) > record.offset());
        found.sort(Comparator.comparingLong((ConsumerRecord<byte[], byte[]> r) -> r.timestamp()).reversed());
        return found.size() > limit ? found.subList(0, limit) : found;
    }
}
