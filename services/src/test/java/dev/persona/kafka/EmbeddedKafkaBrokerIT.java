package dev.persona.kafka;

import dev.persona.testing.TempDirs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedded broker of {@code persona demo} starts again on its own data, as a second demo run does. */
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
}
