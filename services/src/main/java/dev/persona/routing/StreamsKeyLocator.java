package dev.persona.routing;

import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Answers "which instance owns this key" from Kafka Streams metadata, with the same partitioner the topics use
 * (keys are UTF-8 strings, partitioned by Kafka's default murmur2).
 */
public final class StreamsKeyLocator implements KeyLocator {
    private static final Serializer<String> KEYS = new StringSerializer();

    private final KafkaStreams streams;
    private final HostInfo self;

    public StreamsKeyLocator(final KafkaStreams streams, final HostInfo self) {
        this.streams = streams;
        this.self = self;
    }

    @Override
    public HostInfo self() {
        return self;
    }

    @Override
    public KeyLocation locate(final String store, final String key) {
        final KeyQueryMetadata metadata;
        try {
            metadata = streams.queryMetadataForKey(store, key, KEYS);
        } catch (final StreamsException | IllegalStateException e) {
            return new KeyLocation.Unknown("the instance is not running (" + streams.state() + ")");
        } catch (final ArithmeticException e) {
            // Streams divides by the store's partition count, which is 0 for a store no member of the group hosts: the
            // group's leader runs a topology without it (instances of a cluster started with different configurations).
            return new KeyLocation.Unknown("no instance of the cluster hosts store " + store + " (do all instances run the same configuration?)");
        }
        if (metadata == null || metadata.partition() < 0 || metadata.activeHost() == null || metadata.activeHost().port() < 0) {
            return new KeyLocation.Unknown("no instance owns the key right now (" + streams.state() + ")");
        }
        if (metadata.activeHost().equals(self)) {
            return new KeyLocation.Local(metadata.partition(), metadata.standbyHosts());
        }
        return new KeyLocation.Remote(metadata.partition(), metadata.activeHost(), metadata.standbyHosts());
    }

    @Override
    public java.util.List<Member> members() {
        try {
            return streams.metadataForAllStreamsClients().stream()
                    .map(m -> new Member(m.hostInfo(), java.util.Set.copyOf(m.topicPartitions()), java.util.Set.copyOf(m.standbyTopicPartitions())))
                    .toList();
        } catch (final StreamsException | IllegalStateException e) {
            return java.util.List.of();
        }
    }

    @Override
    public boolean running() {
        return streams.state() == KafkaStreams.State.RUNNING;
    }

    @Override
    public String state() {
        return streams.state().name();
    }
}
