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

    /** The SSE event id, {@code <partition>-<offset>}, which {@link #position} reads back. */
    public String id() {
        return partition + "-" + offset;
    }

    /**
     * The changelog position an event id names.
     *
     * @return empty for an id Persona did not make
     */
    public static Optional<Position> position(final String id) {
        if (id == null) {
            return Optional.empty();
        }
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
