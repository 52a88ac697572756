package dev.persona.routing;

import dev.persona.topology.StoredRecord;

/**
 * The one decision every HTTP path takes about a record: it is present (with its stored bytes), absent (404), or
 * cannot be read right now (503 with {@code Retry-After}, never a 404 for a record that may exist).
 */
public sealed interface RecordAnswer {

    /**
     * A record that exists.
     *
     * @param stored its stored bytes; {@link StoredRecord} reads them
     * @param stale  read from a standby copy because the active owner could not answer
     * @param lag    that copy's offset lag (0 for the active copy)
     */
    record Present(byte[] stored, boolean stale, long lag) implements RecordAnswer {
    }

    /** No such record. */
    record Absent() implements RecordAnswer {
    }

    /**
     * Not answerable now.
     *
     * @param reason what kind of obstacle it is
     * @param detail what is in the way, in words
     */
    record Unavailable(UnavailableReason reason, String detail) implements RecordAnswer {
    }

    Absent ABSENT = new Absent();

    /** The answer a stored value gives: present only when it holds a record with fields. */
    static RecordAnswer of(final StoredValue value) {
        if (value instanceof StoredValue.Unavailable unavailable) {
            return new Unavailable(unavailable.reason(), unavailable.detail());
        }
        if (value instanceof StoredValue.Found found && StoredRecord.isPresent(found.stored())) {
            return new Present(found.stored(), found.stale(), found.lag());
        }
        return ABSENT;
    }
}
