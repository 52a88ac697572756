package dev.persona.routing;

/**
 * What a store holds under a key (a record, an index entry), as the routing layer reads it: found, absent, or not
 * answerable right now. {@link RecordFinder} turns it into a {@link RecordAnswer} for the HTTP paths.
 */
public sealed interface StoredValue {

    /**
     * The stored value (see {@code StoredRecord}); may be an absent record that only remembers versions.
     *
     * @param stored the stored bytes
     * @param stale  true when read from a standby copy because the active owner could not answer
     * @param lag    the standby copy's offset lag behind its changelog (0 for the active copy)
     */
    record Found(byte[] stored, boolean stale, long lag) implements StoredValue {
        public Found(final byte[] stored) {
            this(stored, false, 0);
        }
    }

    /** Nothing is stored under the key. */
    record Absent() implements StoredValue {
    }

    /**
     * The owner of the key cannot answer now; try again later.
     *
     * @param reason what kind of obstacle it is
     * @param detail what is in the way, for the error message
     */
    record Unavailable(UnavailableReason reason, String detail) implements StoredValue {
    }

    Absent ABSENT = new Absent();

    /** Found, or absent. */
    static StoredValue of(final byte[] stored) {
        return stored == null ? ABSENT : new Found(stored);
    }
}
