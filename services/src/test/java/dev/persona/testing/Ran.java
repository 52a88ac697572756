package dev.persona.testing;

import dev.persona.cli.PersonaCommand;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * One run of the {@code persona} command line in this JVM, as a user would type it, and what it printed.
 *
 * @param exit its exit code
 * @param out  what it wrote to standard output
 * @param err  what it wrote to standard error
 */
public record Ran(int exit, String out, String err) {
    /** Runs {@code persona args...}, capturing both streams. */
    public static Ran persona(final String... args) {
        final PrintStream systemOut = System.out;
        final PrintStream systemErr = System.err;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            final int exit = PersonaCommand.commandLine().execute(args);
            System.out.flush();
            System.err.flush();
            return new Ran(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(systemOut);
            System.setErr(systemErr);
        }
    }
}
