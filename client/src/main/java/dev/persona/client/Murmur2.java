package dev.persona.client;

import java.nio.charset.StandardCharsets;

/** Kafka's default partitioner, which places every key of a collection: {@code (murmur2(utf8(key)) & 0x7fffffff) % n}. */
final class Murmur2 {
    private Murmur2() {
    }

    /** The partition of {@code key} among {@code partitions}. */
    static int partition(final String key, final int partitions) {
        return (hash(key.getBytes(StandardCharsets.UTF_8)) & 0x7fffffff) % partitions;
    }

    /** Kafka's {@code Utils.murmur2}: 32-bit MurmurHash2 with Kafka's seed. */
    static int hash(final byte[] data) {
        final int length = data.length;
        final int m = 0x5bd1e995;
        final int r = 24;
        int h = 0x9747b28c ^ length;
        final int length4 = length / 4;
        for (int i = 0; i < length4; i++) {
            final int i4 = i * 4;
            int k = (data[i4] & 0xff) + ((data[i4 + 1] & 0xff) << 8) + ((data[i4 + 2] & 0xff) << 16) + ((data[i4 + 3] & 0xff) << 24);
            k *= m;
            k ^= k >>> r;
            k *= m;
            h *= m;
            h ^= k;
        }
        final int tail = length & ~3;
        switch (length % 4) {
            case 3:
                h ^= (data[tail + 2] & 0xff) << 16;
            case 2:
                h ^= (data[tail + 1] & 0xff) << 8;
            case 1:
                h ^= data[tail] & 0xff;
                h *= m;
            default:
                break;
        }
        h ^= h >>> 13;
        h *= m;
        h ^= h >>> 15;
        return h;
    }
}
