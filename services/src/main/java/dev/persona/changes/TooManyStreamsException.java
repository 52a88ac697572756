package dev.persona.changes;

/** One API key holds as many change streams on this instance as it may ({@link ChangeFeeds#MAX_SUBSCRIPTIONS_PER_KEY}). */
public final class TooManyStreamsException extends RuntimeException {
    public TooManyStreamsException(final String message) {
        super(message);
    }
}
