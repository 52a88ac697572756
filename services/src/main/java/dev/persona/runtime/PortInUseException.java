package dev.persona.runtime;

/** A port the instance must listen on is taken; thrown before anything starts. Its message names the fix. */
public final class PortInUseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PortInUseException(final String message) {
        super(message);
    }
}
