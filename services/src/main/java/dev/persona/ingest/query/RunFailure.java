package dev.persona.ingest.query;

/** A run that cannot apply anything, with the reason shown in the run history. */
final class RunFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RunFailure(final String message) {
        super(message);
    }
}
