package dev.persona.cli;

import dev.persona.testing.Ran;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    @Test
    void shouldNameTheWholeSubcommandInAFailure() throws Exception {
        final int nothing;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            nothing = socket.getLocalPort();
        }
        final Ran ran = run("keys", "list", "--url", "http://127.0.0.1:" + nothing, "--admin-key", "any");
        assertEquals(2, ran.exit(), ran.err());
        assertTrue(ran.err().startsWith("persona keys list: no Persona instance answers at http://127.0.0.1:" + nothing), ran.err());
    }

    @Test
    void shouldStopServeWithOneLineNamingTheServersWhenKafkaDoesNotAnswer() throws Exception {
        final int nothing;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            nothing = socket.getLocalPort();
        }
        final Path dir = Files.createTempDirectory("persona-unreachable");
        try {
            final Path file = dir.resolve("persona.yaml");
            // The admin client's own time limit, shortened so that the test does not wait its default minute.
            Files.writeString(file, """
                    kafka:
                      properties: { default.api.timeout.ms: 3000, request.timeout.ms: 2000 }
                    collections:
                      - { name: people, primaryIndex: id, partitions: 1 }
                    syncs:
                      - { id: traits, collection: people, source: { type: topic, topic: traits }, primaryKey: id, mapping: [ { from: name } ] }
                    """);
            final Ran ran = run("serve", "--config", file.toString(), "--bootstrap-servers", "127.0.0.1:" + nothing, "--port", "0",
                    "--state-dir", dir.resolve("state").toString());
            assertEquals(2, ran.exit(), ran.err());
            assertTrue(ran.err().contains("persona serve: cannot reach the Kafka cluster at 127.0.0.1:" + nothing + ": "), ran.err());
            assertTrue(ran.err().contains("Fix: check kafka.bootstrapServers"), ran.err());
            assertFalse(ran.err().contains("\tat "), "one line, no stack trace: " + ran.err());
        } finally {
            dev.persona.testing.TempDirs.delete(dir);
        }
    }
}
