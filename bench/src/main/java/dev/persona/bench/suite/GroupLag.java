package dev.persona.bench.suite;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;

/**
 * How far Persona's Streams group is from having merged everything: committed offsets against the last committed
 * offsets of its input topics (the syncs' topics and Persona's own repartition topics).
 */
final class GroupLag implements AutoCloseable {
    private final Admin admin;
    private final String group;
    private final Set<String> sources;

    GroupLag(final String bootstrap, final String group, final Set<String> sources) {
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
        this.group = group;
        this.sources = sources;
    }

    /** The committed position summed over the source topics only: rows of the syncs taken in so far. */
    record Reading(long committedSourceRows, long lag) {
    }

    Reading read() throws ExecutionException, InterruptedException {
        final Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        final Set<TopicPartition> partitions = new HashSet<>(committed.keySet());
        admin.describeTopics(sources).allTopicNames().get().forEach((name, description) ->
                description.partitions().forEach(p -> partitions.add(new TopicPartition(name, p.partition()))));
        final Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        partitions.forEach(p -> latest.put(p, OffsetSpec.latest()));
        final var ends = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
        long lag = 0;
        long sourceRows = 0;
        for (final TopicPartition partition : partitions) {
            final OffsetAndMetadata offset = committed.get(partition);
            final long position = offset == null ? 0 : offset.offset();
            lag += Math.max(0, ends.get(partition).offset() - position);
            if (sources.contains(partition.topic())) {
                sourceRows += position;
            }
        }
        return new Reading(sourceRows, lag);
    }

    @Override
    public void close() {
        admin.close();
    }
}
