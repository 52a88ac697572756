package dev.persona.ingest;

import dev.persona.config.ConfigException;
import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A query sync whose JDBC driver Persona does not ship: refused at start with the driver to add, then served once
 * the driver's jar is in a drivers directory. The driver (H2) is on no class path of the build: Maven copies its jar
 * to {@code target/test-drivers}.
 */
class DriversDirectoryIT {
    private static final String ADMIN = "drivers-admin-key";
    private static final Path DRIVERS = Path.of("target", "test-drivers").toAbsolutePath();

    private static TestKafka kafka;
    private static Path dir;

    @BeforeAll
    static void start() throws IOException {
        kafka = TestKafka.start();
        dir = Files.createTempDirectory("persona-drivers");
    }

    @AfterAll
    static void stop() {
        kafka.close();
        TempDirs.delete(dir);
    }

    private static PersonaConfig config(final String app, final String drivers) {
        return ConfigLoader.withEnvironment(Map.of("H2_PASSWORD", "planted-pw-7731")).parse(dir.resolve(app + ".yaml"), """
                kafka: { bootstrapServers: "%1$s", applicationId: %2$s, topicPrefix: %2$s }
                %3$s
                collections:
                  - { name: notes, primaryIndex: id, partitions: 2 }
                syncs:
                  - id: h2notes
                    collection: notes
                    source:
                      type: query
                      connection: "jdbc:h2:mem:%2$s;USER=sa;PASSWORD=${H2_PASSWORD}"
                      sql: "select 'k1' as \\"id\\", 'from h2' as \\"name\\""
                      schedule: every 1s
                    primaryKey: id
                    mapping: [ { from: name } ]
                """.formatted(kafka.bootstrapServers(), app, drivers));
    }

    @Test
    void shouldRefuseAQuerySyncWithoutItsDriverThenServeItFromTheDriversDirectory() throws Exception {
        assertThrows(ClassNotFoundException.class, () -> Class.forName("org.h2.Driver"), "H2 must not be on the test class path");
        assertTrue(Files.list(DRIVERS).anyMatch(f -> f.getFileName().toString().startsWith("h2-")), "Maven copied H2's jar to " + DRIVERS);

        final String app = TestKafka.uniqueName("drivers");
        final Path home = dir.resolve("home");
        final ConfigException missing = assertThrows(ConfigException.class,
                () -> PersonaInstance.start(config(app, ""), InstanceOptions.local(home.resolve("state"), home).withAdminKey(ADMIN)));
        assertEquals("syncs[0].source.connection", missing.key());
        assertTrue(missing.getMessage().contains("'jdbc:h2'") && missing.getMessage().contains("com.h2database:h2")
                && missing.getMessage().contains(home.resolve("drivers").toString()), missing.getMessage());
        assertTrue(!missing.getMessage().contains("planted-pw-7731"), "never the password: " + missing.getMessage());

        // A damaged jar beside the driver, sorted before it, is skipped; the driver still loads.
        final Path drivers = Files.createDirectories(dir.resolve("drivers-with-a-damaged-jar"));
        Files.writeString(drivers.resolve("a-damaged.jar"), "half a download");
        try (java.util.stream.Stream<Path> jars = Files.list(DRIVERS)) {
            for (final Path jar : jars.toList()) {
                Files.copy(jar, drivers.resolve(jar.getFileName()));
            }
        }
        try (PersonaInstance instance = PersonaInstance.start(config(app, "drivers: " + drivers),
                InstanceOptions.local(home.resolve("state"), home).withAdminKey(ADMIN))) {
            final TestHttp http = new TestHttp(instance.port());
            Poll.until(Duration.ofSeconds(90), "the row read through H2's driver", () ->
                    http.get("/v1/collections/notes/records/id/k1", bearer(ADMIN)).body().equals("{\"id\":\"k1\",\"name\":\"from h2\"}"));
        }
    }
}
