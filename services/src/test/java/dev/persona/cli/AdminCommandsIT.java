package dev.persona.cli;

import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestConfigs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code persona keys}, {@code syncs} and {@code cluster} against a running instance's admin API. */
class AdminCommandsIT {
    private static final String ADMIN = "cli-admin";
    private static TestKafka kafka;
    private static PersonaInstance instance;
    private static Path state;

    @BeforeAll
    static void start() throws Exception {
        kafka = TestKafka.start();
        state = Files.createTempDirectory("persona-cli");
        final PersonaConfig config = TestConfigs.customers(kafka.bootstrapServers(), TestKafka.uniqueName("cli"));
        instance = PersonaInstance.start(config, InstanceOptions.local(state, state).withAdminKey(ADMIN));
        Poll.until(Duration.ofSeconds(60), "ready", () -> new TestHttp(instance.port()).get("/readyz").statusCode() == 200);
    }

    @AfterAll
    static void stop() {
        instance.close();
        kafka.close();
        TempDirs.delete(state);
    }

    /** Runs {@code persona args... --url U --admin-key K} and returns its exit code and standard output. */
    private static Run persona(final String... args) {
        final List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--url", "http://127.0.0.1:" + instance.port(), "--admin-key", ADMIN));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final java.io.StringWriter err = new java.io.StringWriter();
        final PrintStream original = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            final CommandLine commandLine = PersonaCommand.commandLine();
            commandLine.setErr(new java.io.PrintWriter(err, true));
            final int code = commandLine.execute(all.toArray(String[]::new));
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(original);
        }
    }

    private record Run(int code, String out, String err) {
    }

    @Test
    void shouldCreateListAndRevokeKeysFromTheCommandLine() {
        final Run created = persona("keys", "create", "--name", "web-app", "--collections", "customers");
        assertEquals(0, created.code(), created.out());
        // Log lines of the instance's background threads share the captured standard output: find the command's own.
        final String id = created.out().lines().filter(l -> l.startsWith("Created key ")).findFirst().orElseThrow().split(" ")[2];
        final String secret = created.out().lines().filter(l -> l.startsWith("Secret, shown once: ")).findFirst().orElseThrow()
                .substring("Secret, shown once: ".length());
        assertEquals(200, new TestHttp(instance.port()).get("/readyz").statusCode());
        assertEquals(404, new TestHttp(instance.port()).get("/v1/collections/customers/records/id/nobody", TestHttp.bearer(secret)).statusCode(),
                "the new key is accepted");
        final Run listed = persona("keys", "list");
        assertTrue(listed.out().contains(id) && listed.out().contains("web-app") && listed.out().contains("customers"), listed.out());
        assertTrue(!listed.out().contains(secret), "a listing never shows a secret");
        final Run revoked = persona("keys", "revoke", id);
        assertEquals(0, revoked.code(), revoked.out() + revoked.err());
        assertEquals(401, new TestHttp(instance.port()).get("/v1/collections/customers/records/id/nobody", TestHttp.bearer(secret)).statusCode());
    }

    @Test
    void shouldListSyncsAndShowTheCluster() {
        final Run syncs = persona("syncs", "list");
        assertEquals(0, syncs.code(), syncs.out());
        assertTrue(syncs.out().contains("profiles") && syncs.out().contains("topic"), syncs.out());
        final Run cluster = persona("cluster");
        assertEquals(0, cluster.code(), cluster.out());
        assertTrue(cluster.out().contains("127.0.0.1:" + instance.port()) && cluster.out().contains("records-customers"), cluster.out());
        final Run notQuery = persona("syncs", "run", "profiles");
        assertEquals(2, notQuery.code(), "a topic sync has no runs: the command fails with the API's message");
        assertTrue(notQuery.err().contains("persona syncs run profiles --full") && !notQuery.err().contains("at dev.persona"), notQuery.err());
        final Run resync = persona("syncs", "run", "profiles", "--full");
        assertEquals(0, resync.code(), "a topic sync resyncs: its topic read again from the start: " + resync.err());
    }

    @Test
    void shouldPurgeAPersonByEmailFromTheCommandLine() throws Exception {
        final dev.persona.config.PersonaConfig config = instance.config();
        try (var producer = kafka.producer()) {
            TestConfigs.produce(producer, config, "customers", "profiles", "cli-purge", "{\"id\":\"cli-purge\",\"email\":\"cli-purge@example.com\"}");
        }
        final TestHttp http = new TestHttp(instance.port());
        Poll.until(Duration.ofSeconds(60), "the record indexed", () ->
                http.get("/v1/collections/customers/records/email/cli-purge@example.com", TestHttp.bearer(ADMIN)).statusCode() == 200);
        final Run purged = persona("purge", "--collection", "customers", "--index", "email", "--value", "cli-purge@example.com");
        assertEquals(0, purged.code(), purged.out() + purged.err());
        assertTrue(purged.out().contains("Purged from collection customers") && purged.out().contains("dead-letters"), purged.out());
        assertTrue(purged.out().contains("Not Persona's to clear") && purged.out().contains(".profiles"), "a topic sync's topic is named: " + purged.out());
        assertTrue(!purged.out().contains("cli-purge@example.com"), "the output does not repeat the person's data");
        assertEquals(404, http.get("/v1/collections/customers/records/id/cli-purge", TestHttp.bearer(ADMIN)).statusCode());
        assertEquals(404, http.get("/v1/collections/customers/records/email/cli-purge@example.com", TestHttp.bearer(ADMIN)).statusCode());
        final Run nobody = persona("purge", "--collection", "customers", "--index", "email", "--value", "nobody@example.com");
        assertEquals(2, nobody.code(), "no record holds the email: " + nobody.out());
        assertTrue(nobody.err().contains("no record with email"), nobody.err());
    }
}
