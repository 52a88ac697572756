package dev.persona.ingest.query;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.kafka.TopicFollower;
import dev.persona.topology.Json;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * What a query sync's previous successful run produced: a hash per primary key, the last run's version (of its
 * change rows) and the fingerprint of the model and mapping. Kept in a compacted Kafka topic, so it survives
 * restarts and moves with the sync to another instance; written in the same transaction as the run's rows.
 */
final class SyncState {
    /** The key of the record holding the run number and fingerprint; no primary key starts with a NUL. */
    static final String META_KEY = "\u0000meta";

    final Map<String, String> hashes = new HashMap<>();
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
            hashes.put(record.key(), new String(record.value(), StandardCharsets.UTF_8));
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

    static byte[] meta(final long run, final String fingerprint) {
        return Json.mapper().createObjectNode().put("run", run).put("fingerprint", fingerprint).toString().getBytes(StandardCharsets.UTF_8);
    }
}
