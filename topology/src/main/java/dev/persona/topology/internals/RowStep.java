package dev.persona.topology.internals;

import dev.persona.topology.MalformedRowException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.KeyValue;

import java.util.Optional;

/** One step of reading a raw Kafka record; empty when the record carries nothing to pass on. */
@FunctionalInterface
public interface RowStep<K, V> {
    /**
     * @param partition the partition the record was read from, -1 when unknown
     * @param headers   the record's headers
     * @throws MalformedRowException with the reason, when the record cannot be read
     */
    Optional<KeyValue<K, V>> apply(byte[] key, byte[] value, long timestamp, int partition, Headers headers);
}
