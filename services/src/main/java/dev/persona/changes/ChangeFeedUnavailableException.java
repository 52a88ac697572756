package dev.persona.changes;

/** A collection's changes cannot be followed right now (the changelog cannot be read); retriable. */
public final class ChangeFeedUnavailableException extends RuntimeException {
    public ChangeFeedUnavailableException(final String message) {
        super(message);
    }
}
