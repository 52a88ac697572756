package dev.persona.ingest;

/**
 * A JDBC driver's message as one line of a sentence: drivers write several lines (MySQL's "Communications link
 * failure" and its explanation) and end with a full stop, and Persona's messages append a fix after it.
 */
public final class DriverMessage {
    private DriverMessage() {
    }

    /** The message on one line, without its closing full stop; the exception's class when it has none. */
    public static String of(final Throwable failure) {
        final String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        final String line = message.strip().replaceAll("\\s+", " ");
        return line.endsWith(".") ? line.substring(0, line.length() - 1) : line;
    }
}
