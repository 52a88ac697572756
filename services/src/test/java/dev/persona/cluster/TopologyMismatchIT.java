package dev.persona.cluster;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.kafka.TopologyMismatchException;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestKafka;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A configuration change that changes the topology cannot roll out one instance at a time: Kafka Streams runs one
 * topology per application. Started beside a running instance of the old configuration, the new one refuses (it used
 * to join, and the group left the new stores unhosted or killed the old instance's stream threads over and over);
 * once every old instance has stopped, it starts. A change that keeps the topology (a mapping) rolls as before.
 */
class TopologyMismatchIT {
    private static TestKafka kafka;
    private static Path dir;

    @BeforeAll
    static void start() throws IOException {
        kafka = TestKafka.start();
        dir = Files.createTempDirectory("persona-topology-mismatch");
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
        if (dir != null) {
            TempDirs.delete(dir);
        }
    }

    private static PersonaConfig config(final String app, final String name, final String indices, final String mapping) throws IOException {
        return ConfigLoader.withEnvironment(Map.of()).parse(dir.resolve(name + ".yaml"), """
                kafka: { bootstrapServers: "%s", applicationId: %s, topicPrefix: %s }
                collections:
                  - { name: people, primaryIndex: id, secondaryIndices: [ %s ], partitions: 2 }
                syncs:
                  - { id: traits, collection: people, source: { type: topic, topic: %s-traits }, primaryKey: id, mapping: [ %s ] }
                """.formatted(kafka.bootstrapServers(), app, app, indices, app, mapping));
    }

    private static InstanceOptions options(final String name) {
        return InstanceOptions.local(dir.resolve(name), dir.resolve(name));
    }

    @Test
    void shouldRefuseANewTopologyBesideARunningOldOneAndStartOnceItHasStopped() throws Exception {
        final String app = TestKafka.uniqueName("mismatch");
        final PersonaConfig old = config(app, "old", "", "{ from: name }");
        final PersonaConfig added = config(app, "added", "email", "{ from: name }, { from: email }");
        final PersonaConfig remapped = config(app, "remapped", "", "{ from: name, to: full_name }");
        final PersonaInstance first = PersonaInstance.start(old, options("first"));
        try {
            final TopologyMismatchException refused = assertThrows(TopologyMismatchException.class,
                    () -> PersonaInstance.start(added, options("second")).close());
            assertTrue(refused.getMessage().contains("run another topology than " + added.file()), refused.getMessage());
            assertTrue(refused.getMessage().contains("stores only here: index-people"), refused.getMessage());
            assertTrue(refused.getMessage().contains("Fix: stop every instance"), refused.getMessage());
            // A mapping is not part of the topology: it may roll.
            PersonaInstance.start(remapped, options("third")).close();
        } finally {
            first.close();
        }
        // The old instance removed its entry as it stopped: the new topology starts at once.
        PersonaInstance.start(added, options("second")).close();
    }
}
