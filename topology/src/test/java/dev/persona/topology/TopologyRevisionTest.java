package dev.persona.topology;

import dev.persona.config.PersonaConfig;
import org.apache.kafka.streams.StreamsBuilder;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The stand-in for a release whose topology differs: another description from the same file. */
class TopologyRevisionTest {
    private static final String CONFIG = """
            collections:
              - { name: customers, primaryIndex: user_id }
            syncs:
              - { id: events, collection: customers, source: { type: topic, topic: events }, primaryKey: user_id, mapping: [ { from: last_event } ] }
            """;

    private static String described(final PersonaConfig config) {
        final StreamsBuilder builder = new StreamsBuilder();
        PersonaTopology.build(builder, config);
        return builder.build().describe().toString();
    }

    @Test
    void aRevisionMakesTheSameFileAnotherTopology() {
        final PersonaConfig config = TopologyDrivers.config(CONFIG);
        final String released = described(config);
        System.setProperty(PersonaTopology.REVISION_PROPERTY, "2");
        try {
            final String upgraded = described(config);
            assertNotEquals(released, upgraded);
            assertTrue(upgraded.contains("customers-revision-2"), upgraded);
        } finally {
            System.clearProperty(PersonaTopology.REVISION_PROPERTY);
        }
        assertEquals(released, described(config), "without it, the release's own");
    }
}
