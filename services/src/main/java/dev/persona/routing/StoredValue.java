package dev.persona.routing;

import dev.persona.topology.StoredRecord;

/**
 * The one answer of every read the routing layer makes (a record, an index entry; here, over a hop, from a standby
 * copy): found, absent, not answerable right now, or not answerable here without waiting. The HTTP paths take
 * {@link RecordFinder}'s answers, where {@link Found} always holds a record with fields (a deleted record that only
 * remembers versions is {@link Absent}).
 */
public sealed interface StoredValue {

    /**
     * The stored value (see {@code StoredRecord}).
     *
     * @param stored the stored bytes
     * @param stale  true when read from a standby copy (the active owner could not answer, or {@code readFrom: nearest})
     * @param lag    the standby copy's offset lag behind its changelog (0 for the active copy)
     */
    record Found(byte[] stored, boolean stale, long lag) implements StoredValue {
        public Found(final byte[] stored) {
            this(stored, false, 0);
        }
    }

    /** Nothing is stored under the key: a 404. */
    record Absent() implements StoredValue {
    }

    /**
     * No copy can answer now; try again later: a 503 with {@code Retry-After}, never a 404 for a key that may exist.
     *
     * @param reason what kind of obstacle it is
     * @param detail what is in the way, for the log
     */
    record Unavailable(UnavailableReason reason, String detail) implements StoredValue {
    }

    /**
     * The reads that never wait ({@link StoredValues#getHere}, {@link RecordFinder#findHere}) cannot say: this instance
     * does not process the key's partition now, or not yet. The full read ({@link StoredValues#get}) decides who can;
     * it never answers this.
     */
    record NotHere() implements StoredValue {
    }

    Absent ABSENT = new Absent();
    NotHere NOT_HERE = new NotHere();

    /** Found, or absent. */
    static StoredValue of(final byte[] stored) {
        return stored == null ? ABSENT : new Found(stored);
    }

    /** This value read as a record: a stored record without fields (deleted, remembering versions) is absent. */
    default StoredValue asRecord() {
        return this instanceof Found found && !StoredRecord.isPresent(found.stored()) ? ABSENT : this;
    }
}
