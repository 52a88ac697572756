package dev.persona.topology;

/** A change row that cannot be used; its message is the reason written to the dead-letter topic. */
public final class MalformedRowException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MalformedRowException(final String reason) {
        super(reason);
    }
}
