package dev.persona.routing;

/** The answer to "what is stored under this key": found, absent, or not answerable right now. */
public sealed interface Lookup {

    /** The stored value (see {@code StoredRecord}); may be an absent record that only remembers versions. */
    record Found(byte[] stored) implements Lookup {
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
