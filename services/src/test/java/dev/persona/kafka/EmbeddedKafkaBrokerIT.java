package dev.persona.kafka;

import dev.persona.testing.TempDirs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded broker of {@code persona demo} starts again on its own data, as a second demo run does, and a second
 * process on the same data is refused before it can touch it.
 */
class EmbeddedKafkaBrokerIT {
    @Test
    void shouldStartAgainOnTheDataOfAnEarlierStartAndKeepItsTopics() throws Exception {
        final Path dir = Files.createTempDirectory("persona-broker");
        try {
            try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir, 0);
                 Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("kept", 1, (short) 1))).all().get();
            }
            try (EmbeddedKafkaBroker again = EmbeddedKafkaBroker.start(dir, 0);
                 Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, again.bootstrapServers()))) {
                assertTrue(admin.listTopics().names().get().contains("kept"));
            }
        } finally {
            TempDirs.delete(dir);
        }
    }

    @Test
    void shouldRefuseASecondProcessOnTheSameDataAndLeaveTheRunningBrokerWhole() throws Exception {
        final Path dir = Files.createTempDirectory("persona-broker");
        try {
            try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir, 0);
                 Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("before", 1, (short) 1))).all().get();
                final Process second = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp", System.getProperty("java.class.path"), SecondBroker.class.getName(), dir.toString())
                        .redirectErrorStream(true).start();
                final String output = new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(second.waitFor(2, TimeUnit.MINUTES));
                assertEquals(3, second.exitValue(), output);
                assertTrue(output.contains("another Persona process runs an embedded Kafka broker on " + dir), output);
                admin.createTopics(List.of(new NewTopic("after", 1, (short) 1))).all().get();
            }
            try (EmbeddedKafkaBroker again = EmbeddedKafkaBroker.start(dir, 0);
                 Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, again.bootstrapServers()))) {
                assertTrue(admin.listTopics().names().get().containsAll(List.of("before", "after")));
            }
        } finally {
            TempDirs.delete(dir);
        }
    }

    /** The second process: starts a broker on the directory given, and exits with 3 if it is refused. */
    static final class SecondBroker {
        public static void main(final String[] args) {
            try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(Path.of(args[0]), 0)) {
                System.out.println("started on " + broker.bootstrapServers());
            } catch (final DataDirectoryInUseException e) {
                System.out.println(e.getMessage());
                System.exit(3);
            }
        }
    }
}
