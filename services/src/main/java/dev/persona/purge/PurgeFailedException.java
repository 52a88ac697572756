package dev.persona.purge;

/** A purge did not complete; repeating it is safe. */
public final class PurgeFailedException extends RuntimeException {
    public PurgeFailedException(final String message) {
        super(message);
    }
}
