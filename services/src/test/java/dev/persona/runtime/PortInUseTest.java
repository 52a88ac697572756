package dev.persona.runtime;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.testing.TestConfigs;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A taken port stops start-up before anything starts: no broker is reachable here, and none is needed. */
class PortInUseTest {

    @Test
    void shouldRefuseATakenPortBeforeStartingAnythingNamingThePortAndTheFix() throws Exception {
        final Path dir = Files.createTempDirectory("persona-port");
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).parse(dir.resolve("p.yaml"), TestConfigs.customersYaml("127.0.0.1:1", "port"));
        try (ServerSocket taken = new ServerSocket(0, 0, InetAddress.getByName("127.0.0.1"))) {
            final PortInUseException e = assertThrows(PortInUseException.class,
                    () -> PersonaInstance.start(config, InstanceOptions.local(dir, dir).withPort(taken.getLocalPort())));
            assertTrue(e.getMessage().contains("port " + taken.getLocalPort()) && e.getMessage().contains("--port"), e.getMessage());
        }
    }
}
