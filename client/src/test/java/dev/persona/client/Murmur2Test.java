package dev.persona.client;

import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The client must place every key where Kafka's partitioner does, or it would send lookups to the wrong owner. */
class Murmur2Test {
    @Test
    void shouldPlaceKeysExactlyWhereKafkasDefaultPartitionerDoes() {
        final Random random = new Random(42);
        for (int i = 0; i < 100_000; i++) {
            final StringBuilder key = new StringBuilder();
            for (int c = random.nextInt(40); c > 0; c--) {
                key.appendCodePoint(random.nextInt(4) == 0 ? 0x80 + random.nextInt(0x2000) : 0x20 + random.nextInt(0x5f));
            }
            final String k = key.toString();
            final int partitions = 1 + random.nextInt(64);
            assertEquals(Utils.toPositive(Utils.murmur2(k.getBytes(StandardCharsets.UTF_8))) % partitions, Murmur2.partition(k, partitions), k);
        }
    }
}
