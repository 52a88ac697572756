package dev.persona.cli;

/** A command that cannot go on, with a message for the user (no stack trace). */
final class CommandFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CommandFailure(final String message) {
        super(message);
    }
}
