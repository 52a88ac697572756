package dev.persona.changes;

import dev.persona.topology.StoredRecord;

import java.util.Optional;

/**
 * One committed write of a record store, as its changelog holds it.
 *
 * @param partition the changelog partition (the key's partition in the collection)
 * @param offset    its offset there; -1 for a record read from a store, whose offset is not known
 * @param stored    the stored value ({@link StoredRecord}); null for a tombstone
 */
public record ChangeEvent(int partition, long offset, byte[] stored) {

    /** Whether the record exists after this write (a tombstone or an absent record does not). */
    public boolean present() {
        return StoredRecord.isPresent(stored);
    }

    /** The SSE event id in a cluster's first topology version, {@code <partition>-<offset>}. */
    public String id() {
        return id("");
    }

    /**
     * The SSE event id, {@code <partition>-<offset>}, and {@code .<epoch>} after it in a later topology version: each
     * version has a changelog of its own, whose offsets mean nothing in another's. {@link #position} reads it back.
     */
    public String id(final String epoch) {
        return epoch.isEmpty() ? partition + "-" + offset : partition + "-" + offset + "." + epoch;
    }

    /** {@link #position(String, String)} in a cluster's first topology version. */
    public static Optional<Position> position(final String id) {
        return position(id, "");
    }

    /**
     * The changelog position an event id names, when it was made in the topology version {@code epoch} names.
     *
     * @return empty for an id Persona did not make, or made by another version (the stream then starts anew)
     */
    public static Optional<Position> position(final String tagged, final String epoch) {
        if (tagged == null) {
            return Optional.empty();
        }
        final int dot = tagged.indexOf('.');
        if (!(dot < 0 ? "" : tagged.substring(dot + 1)).equals(epoch)) {
            return Optional.empty();
        }
        final String id = dot < 0 ? tagged : tagged.substring(0, dot);
        final int dash = id.indexOf('-');
        try {
            if (dash <= 0) {
                return Optional.empty();
            }
            final int partition = Integer.parseInt(id.substring(0, dash));
            final long offset = Long.parseLong(id.substring(dash + 1));
            return partition >= 0 && offset >= 0 ? Optional.of(new Position(partition, offset)) : Optional.empty();
        } catch (final NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** A changelog partition and the offset of the last event a client received there. */
    public record Position(int partition, long offset) {
    }
}
