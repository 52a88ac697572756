package dev.persona.ingest.query;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * What a query sync's run sends: the rows that are new or changed since the previous successful run (every row
 * when the run is full), and the keys that left the result. Compares rows by a hash of their JSON, so the previous
 * run's rows need not be kept, only their hashes.
 */
final class RunDiff {
    /** A row to send, with the hash the state keeps for it. */
    record Upsert(String key, ObjectNode row, String hash) {
    }

    private final List<Upsert> upserts;
    private final List<String> deletes;
    private final long unchanged;

    private RunDiff(final List<Upsert> upserts, final List<String> deletes, final long unchanged) {
        this.upserts = List.copyOf(upserts);
        this.deletes = List.copyOf(deletes);
        this.unchanged = unchanged;
    }

    /**
     * The diff of a run.
     *
     * @param previous the previous run's hash per key
     * @param rows     this run's rows by key
     * @param full     send every row, changed or not
     */
    static RunDiff of(final Map<String, String> previous, final Map<String, ObjectNode> rows, final boolean full) {
        final List<Upsert> upserts = new ArrayList<>();
        long unchanged = 0;
        for (final Map.Entry<String, ObjectNode> row : rows.entrySet()) {
            final String hash = hash(row.getValue());
            if (!full && hash.equals(previous.get(row.getKey()))) {
                unchanged++;
            } else {
                upserts.add(new Upsert(row.getKey(), row.getValue(), hash));
            }
        }
        final List<String> deletes = previous.keySet().stream().filter(key -> !rows.containsKey(key)).sorted().toList();
        return new RunDiff(upserts, deletes, unchanged);
    }

    List<Upsert> upserts() {
        return upserts;
    }

    List<String> deletes() {
        return deletes;
    }

    long unchanged() {
        return unchanged;
    }

    /** The hash a row is compared by: the first 128 bits of the SHA-256 of its JSON. */
    static String hash(final ObjectNode row) {
        return sha256(row.toString()).substring(0, 32);
    }

    static String sha256(final String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
