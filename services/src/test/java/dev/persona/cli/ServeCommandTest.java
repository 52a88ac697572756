package dev.persona.cli;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServeCommandTest {
    @Test
    void shouldRefuseAnAdminKeyThatIsAnUnsubstitutedVariable() {
        // What podman-compose 1.0 passed for PERSONA_ADMIN_KEY: ${PERSONA_ADMIN_KEY:-}, literally.
        assertTrue(ServeCommand.weakness("${PERSONA_ADMIN_KEY:-}").orElseThrow().contains("unsubstituted variable"));
        assertTrue(ServeCommand.weakness("$PERSONA_ADMIN_KEY_FROM_SOMEWHERE").isPresent());
    }

    @Test
    void shouldRefuseAShortAdminKeyAndAcceptALongOne() {
        assertTrue(ServeCommand.weakness("admin").orElseThrow().contains("at least 16"));
        assertEquals(Optional.empty(), ServeCommand.weakness("9f86d081884c7d659a2feaa0c55ad015"));
    }
}
