package dev.persona.topology;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;

/** Persona's topology under a {@link TopologyTestDriver}, as the topology tests build it. */
final class TopologyDrivers {
    private TopologyDrivers() {
    }

    /** The configuration a test writes, parsed as the loader does at start. */
    static PersonaConfig config(final String yaml) {
        return ConfigLoader.withEnvironment(Map.of()).parse(Path.of("test.yaml"), yaml);
    }

    /** A driver over the topology of {@code config}, its stores in {@code stateDir}, its wall clock at {@code start}. */
    static TopologyTestDriver start(final PersonaConfig config, final String applicationId, final Path stateDir, final Instant start) {
        final StreamsBuilder builder = new StreamsBuilder();
        PersonaTopology.build(builder, config);
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        return new TopologyTestDriver(builder.build(), props, start);
    }
}
