package dev.persona.cluster;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which topics a new version reads from their start rather than from where the running version stands. */
class VersionSeedTest {
    private static final TopologyVersion OLD = new TopologyVersion("f", "app", TopologyVersion.State.COMPLETE, Optional.empty(), Set.of(), Set.of());

    @Test
    void shouldReadATopicFromItsStartWhenASyncReadingItIsNew() {
        final Map<TopicPartition, OffsetAndMetadata> position = Map.of(
                new TopicPartition("events", 0), new OffsetAndMetadata(40),
                new TopicPartition("app-people-events-by-key-repartition", 0), new OffsetAndMetadata(12),
                new TopicPartition("traits", 0), new OffsetAndMetadata(7),
                new TopicPartition("app-people-traits-by-key-repartition", 0), new OffsetAndMetadata(3));
        final Map<String, List<Optional<String>>> topics = Map.of(
                "events", List.of(Optional.of("people-events-by-key-repartition"), Optional.of("people-seen-by-key-repartition")),
                "traits", List.of(Optional.of("people-traits-by-key-repartition")),
                "inplace", List.of(Optional.empty()));
        assertEquals(Set.of("events", "inplace"), VersionSeed.readFromStart(OLD, position, topics),
                "events gained a sync the old version never ran; a copartitioned sync cannot be told apart; traits is as it was");
    }
}
