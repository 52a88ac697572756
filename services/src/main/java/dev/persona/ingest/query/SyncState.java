package dev.persona.ingest.query;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.kafka.TopicFollower;
import dev.persona.topology.Json;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * What a query sync's previous successful run produced: a hash per primary key, the last run's version (of its
 * change rows) and the fingerprint of the model and mapping. Kept in a compacted Kafka topic, so it survives
 * restarts and moves with the sync to another instance; written in the same transaction as the run's rows.
 *
 * <p>A key's value is its row's 64-bit hash, 8 bytes big-endian. Earlier builds wrote 32 hex digits of a
 * SHA-256 of the row's JSON: read, they match no row, so the first run after an upgrade sends every row once.
 */
final class SyncState {
    /** The key of the record holding the run number and fingerprint; no primary key starts with a NUL. */
    static final String META_KEY = "\u0000meta";

    final RowHashes hashes = new RowHashes();
    long lastRun;
    String fingerprint = "";

    static SyncState load(final String topic, final Map<String, Object> clientProperties) {
        final SyncState state = new SyncState();
        TopicFollower.readAll(topic, clientProperties, state::apply);
        return state;
    }

    private void apply(final ConsumerRecord<String, byte[]> record) {
        if (META_KEY.equals(record.key())) {
            try {
                final JsonNode meta = Json.mapper().readTree(record.value());
                lastRun = meta.path("run").asLong();
                fingerprint = meta.path("fingerprint").asText("");
            } catch (final IOException e) {
                throw new IllegalStateException("unreadable sync state in " + record.topic(), e);
            }
        } else if (record.value() == null) {
            hashes.remove(record.key());
        } else {
            hashes.put(record.key(), hashOf(record.value()));
        }
    }

    /**
     * The version of the next run's change rows: above the last run's, and never below the run's start time in epoch
     * milliseconds, so versions keep growing even when the state topic is lost and the run counter starts again
     * (rows of the new runs would otherwise be ignored as older than what the records hold).
     */
    long nextVersion(final long startedAt) {
        return Math.max(lastRun + 1, startedAt);
    }

    /** The fingerprint of a model and its mapping: when it changes, the next run is full. */
    static String fingerprint(final String modelAndMapping) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(modelAndMapping.getBytes(StandardCharsets.UTF_8)));
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A key's value in the state topic. */
    static byte[] hashValue(final long hash) {
        return ByteBuffer.allocate(Long.BYTES).putLong(hash).array();
    }

    /** A key's hash from its value in the state topic. */
    static long hashOf(final byte[] value) {
        if (value.length == Long.BYTES) {
            return ByteBuffer.wrap(value).getLong();
        }
        // An earlier version's hex digest: any value will do, as no row's new hash is expected to equal it.
        try {
            return HexFormat.fromHexDigitsToLong(new String(value, 0, Math.min(16, value.length), StandardCharsets.US_ASCII));
        } catch (final IllegalArgumentException e) {
            return 0;
        }
    }

    static byte[] meta(final long run, final String fingerprint) {
        return Json.mapper().createObjectNode().put("run", run).put("fingerprint", fingerprint).toString().getBytes(StandardCharsets.UTF_8);
    }
}
