package dev.persona.cli;

import dev.persona.testing.Ran;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line as a user meets it first: help on every command, and a configuration checked without starting. */
class PersonaCommandTest {
    private static Ran run(final String... args) {
        return Ran.persona(args);
    }

    @Test
    void shouldShowHelpForEveryCommandAndSubcommand() {
        for (final List<String> command : List.<List<String>>of(List.of(), List.of("demo"), List.of("serve"), List.of("validate"), List.of("keys"),
                List.of("keys", "create"), List.of("keys", "list"), List.of("keys", "revoke"), List.of("syncs"), List.of("syncs", "list"),
                List.of("syncs", "run"), List.of("cluster"), List.of("warehouse"))) {
            final List<String> args = new java.util.ArrayList<>(command);
            args.add("--help");
            final Ran ran = run(args.toArray(String[]::new));
            assertEquals(0, ran.exit(), "persona " + String.join(" ", args) + ": " + ran.err());
            assertTrue(ran.out().contains("Usage: persona"), "persona " + String.join(" ", args) + " printed " + ran.out());
        }
        assertTrue(run("serve", "--help").out().contains("--bootstrap-servers"));
    }

    @Test
    void shouldSayAValidConfigurationIsValidWithoutStartingAnything() {
        final Ran ran = run("validate", "--config", Path.of("..", "config", "persona.example.yaml").toString());
        assertEquals(0, ran.exit(), ran.err());
        assertTrue(ran.out().contains("is valid"), ran.out());
    }

    @Test
    void shouldNameTheFileAndTheKeyOfAnInvalidConfiguration() throws Exception {
        final Path file = Files.createTempFile("persona-invalid", ".yaml");
        try {
            Files.writeString(file, "collections:\n  - name: bad-name\n    primaryIndex: id\n");
            final Ran ran = run("validate", "--config", file.toString());
            assertEquals(2, ran.exit());
            assertTrue(ran.err().contains(file.toString()) && ran.err().contains("collections"), ran.err());
        } finally {
            Files.delete(file);
        }
    }
}
