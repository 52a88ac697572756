package dev.persona.routing;

/** Where a lookup stands on its way between instances; replaces a pair of "forwarded" and "standby" flags. */
public enum Hop {
    /** A client's request: the owner may be asked over HTTP, then standbys. */
    FIRST,
    /**
     * A client's request whose forward to the active owner has just failed (on the fast path): standbys only, so that a
     * hung owner costs one request timeout, not two.
     */
    FIRST_OWNER_FAILED,
    /** Sent by another instance: answered from this instance's active copy or not at all (no second forward). */
    FORWARDED,
    /** Sent by another instance whose owner could not answer: this instance's standby copy may answer. */
    FORWARDED_TO_STANDBY;

    /** Whether another instance sent this request. */
    public boolean forwarded() {
        return this != FIRST && this != FIRST_OWNER_FAILED;
    }
}
