package dev.persona.kafka;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestConfigs;
import dev.persona.testing.TestKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Topics Persona creates carry the replication it chose, not the broker's default: set on the topic itself, and
 * refused at start when the cluster cannot hold it.
 */
class TopicReplicationIT {
    @Test
    void shouldCreateItsTopicsWithItsOwnMinInsyncReplicasAndRefuseAFactorTheClusterCannotHold() throws Exception {
        final Path state = Files.createTempDirectory("persona-replication");
        try (TestKafka kafka = TestKafka.start()) {
            final String app = TestKafka.uniqueName("replicated");
            final PersonaConfig config = TestConfigs.customers(kafka.bootstrapServers(), app);
            try (PersonaInstance ignored = PersonaInstance.start(config, InstanceOptions.local(state, state).withAdminKey("replication-admin"));
                 Admin admin = kafka.admin()) {
                for (final String topic : Set.of(app + ".customers.dead-letters", app + ".api-keys", app + ".sync-runs")) {
                    final ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
                    final Config configs = admin.describeConfigs(Set.of(resource)).all().get().get(resource);
                    final ConfigEntry minInsync = configs.get("min.insync.replicas");
                    assertEquals("1", minInsync.value(), topic);
                    assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, minInsync.source(), topic + ": set by Persona on the topic, not inherited");
                    assertEquals(1, admin.describeTopics(Set.of(topic)).allTopicNames().get().get(topic).partitions().get(0).replicas().size());
                }
            }
            final PersonaConfig three = ConfigLoader.withEnvironment(Map.of()).parse(Path.of("three.yaml"),
                    TestConfigs.customersYaml(kafka.bootstrapServers(), TestKafka.uniqueName("three"))
                            .replace("kafka:\n", "kafka:\n  replicationFactor: 3\n"));
            final IllegalStateException refused = assertThrows(IllegalStateException.class,
                    () -> PersonaInstance.start(three, InstanceOptions.local(state, state)));
            assertTrue(refused.getMessage().contains("kafka.replicationFactor is 3 but the cluster has 1 broker(s)"), refused.getMessage());
        } finally {
            TempDirs.delete(state);
        }
    }
}
