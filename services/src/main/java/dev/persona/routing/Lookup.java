package dev.persona.routing;

/** The answer to "what is stored under this key": found, absent, or not answerable right now. */
public sealed interface Lookup {

    /**
     * The stored value (see {@code StoredRecord}); may be an absent record that only remembers versions.
     *
     * @param stale true when read from a standby copy because the active owner could not answer
     * @param lag   the standby copy's offset lag behind its changelog (0 for the active copy)
     */
    record Found(byte[] stored, boolean stale, long lag) implements Lookup {
        public Found(final byte[] stored) {
            this(stored, false, 0);
        }
    }

    /** Nothing is stored under the key. */
    record Absent() implements Lookup {
    }

    /**
     * The owner of the key cannot answer now (rebalancing, restoring, unreachable); try again later.
     *
     * @param reason what is in the way, for the error message
     */
    record Unavailable(String reason) implements Lookup {
    }

    Absent ABSENT = new Absent();

    /** Found with a present record, or absent. */
    static Lookup of(final byte[] stored) {
        return stored == null ? ABSENT : new Found(stored);
    }
}
