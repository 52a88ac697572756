package dev.persona.cli;

/** What a command that is declared but not built prints, and its exit code. */
final class NotBuiltYet {
    static final int EXIT_CODE = 3;

    private NotBuiltYet() {
    }

    static int report(final String command, final String arrivesWith) {
        System.err.println("persona " + command + ": not built yet (" + arrivesWith + ").");
        return EXIT_CODE;
    }
}
