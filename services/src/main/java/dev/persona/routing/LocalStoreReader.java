package dev.persona.routing;

import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.query.StateQueryRequest;
import org.apache.kafka.streams.query.StateQueryResult;

import java.util.Set;

/** Reads this instance's active copy of a key through Interactive Queries v2. */
public final class LocalStoreReader {
    private final KafkaStreams streams;

    public LocalStoreReader(final KafkaStreams streams) {
        this.streams = streams;
    }

    /** Reads {@code key} from {@code partition} of {@code store}; unavailable when this instance is not its active owner. */
    public Lookup read(final String store, final String key, final int partition) {
        final StateQueryResult<byte[]> result;
        try {
            result = streams.query(StateQueryRequest.inStore(store)
                    .withQuery(KeyQuery.<String, byte[]>withKey(key))
                    .withPartitions(Set.of(partition))
                    .requireActive());
        } catch (final StreamsException | IllegalStateException e) {
            return new Lookup.Unavailable("the store is not queryable: " + e.getMessage());
        }
        final QueryResult<byte[]> partitionResult = result.getPartitionResults().get(partition);
        if (partitionResult == null) {
            return new Lookup.Unavailable("partition " + partition + " is not hosted here");
        }
        if (partitionResult.isFailure()) {
            return new Lookup.Unavailable("partition " + partition + " is " + partitionResult.getFailureReason().name().toLowerCase().replace('_', ' '));
        }
        return Lookup.of(partitionResult.getResult());
    }

    /** Whether every local partition of {@code store} answers queries. */
    public boolean isQueryable(final String store) {
        if (streams.state() != KafkaStreams.State.RUNNING) {
            return false;
        }
        try {
            final StateQueryResult<byte[]> result = streams.query(StateQueryRequest.inStore(store)
                    .withQuery(KeyQuery.<String, byte[]>withKey("\u0000readiness")).requireActive());
            return result.getPartitionResults().values().stream().noneMatch(QueryResult::isFailure);
        } catch (final StreamsException | IllegalStateException e) {
            return false;
        }
    }
}
