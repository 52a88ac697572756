package dev.persona.topology.internals;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;

import java.util.Map;

/** Splits a stream of {@link Routed} values: failures to the dead-letter topic, the rest passed on. */
public final class DeadLetters {
    private DeadLetters() {
    }

    /**
     * Sends failures to {@code topic} as their original bytes, samples to {@code samples}, and returns the stream of
     * merged values.
     */
    @SuppressWarnings("unchecked")
    public static <K, V> KStream<K, V> route(final KStream<K, Routed<V>> stream, final String topic, final String samples, final String name) {
        final Map<String, KStream<K, Routed<V>>> branches = stream
                .split(Named.as(name + "-sampled-"))
                .branch((key, value) -> value instanceof Routed.Sampled, Branched.as("yes"))
                .defaultBranch(Branched.as("no"));
        branches.get(name + "-sampled-yes")
                .map((key, value) -> {
                    final Routed.Sampled<V> sampled = (Routed.Sampled<V>) value;
                    return KeyValue.pair(sampled.key(), sampled.value());
                }, Named.as(name + "-sample-bytes"))
                .to(samples, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(name + "-samples"));
        return route(branches.get(name + "-sampled-no"), topic, name);
    }

    /** Sends failures to {@code topic} as their original bytes and returns the stream of read values. */
    @SuppressWarnings("unchecked")
    public static <K, V> KStream<K, V> route(final KStream<K, Routed<V>> stream, final String topic, final String name) {
        final Map<String, KStream<K, Routed<V>>> branches = stream
                .split(Named.as(name + "-"))
                .branch((key, value) -> value instanceof Routed.Failed, Branched.as("failed"))
                .defaultBranch(Branched.as("ok"));
        branches.get(name + "-failed")
                .map((key, value) -> {
                    final Routed.Failed<V> failed = (Routed.Failed<V>) value;
                    return KeyValue.pair(failed.key(), failed.value());
                }, Named.as(name + "-failed-bytes"))
                .to(topic, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(name + "-dead-letters"));
        return branches.get(name + "-ok").mapValues(value -> ((Routed.Ok<V>) value).value(), Named.as(name + "-ok-values"));
    }
}
