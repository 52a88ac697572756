package dev.persona.topology;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What a purge leaves in Kafka besides tombstones. A purge writes a tombstone carrying {@link #HEADER} to every
 * compacted topic of Persona's that holds the key (sync topics, dead letters, query-sync state), so that compaction
 * removes the key's earlier rows; the topology skips such tombstones, which are not deletes at the source. The purge
 * list knows a key only by {@link #hash}.
 */
public final class Purges {
    /** Marks a tombstone that a purge wrote. */
    public static final String HEADER = "persona.purge";

    private Purges() {
    }

    /** The SHA-256 of a key, hex: how the purge list and the audit log name what they must not hold in clear. */
    public static String hash(final String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
