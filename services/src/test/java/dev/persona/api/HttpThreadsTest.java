package dev.persona.api;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApiServerThreadsTest {

    @Test
    void shouldTakeTheThreadCountFromTheEnvironmentOrTheDefault() {
        assertEquals(4, ApiServer.threadCount(Map.of("PERSONA_HTTP_SELECTORS", " 4 "), "PERSONA_HTTP_SELECTORS", 2));
        assertEquals(2, ApiServer.threadCount(Map.of(), "PERSONA_HTTP_SELECTORS", 2));
        assertEquals(2, ApiServer.threadCount(Map.of("PERSONA_HTTP_SELECTORS", ""), "PERSONA_HTTP_SELECTORS", 2));
    }

    @Test
    void shouldRefuseAThreadCountThatIsNotAPositiveWholeNumberNamingTheVariable() {
        for (final String bad : new String[]{"0", "-3", "many", "2.5"}) {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ApiServer.threadCount(Map.of("PERSONA_HTTP_THREADS", bad), "PERSONA_HTTP_THREADS", 16));
            assertTrue(e.getMessage().contains("PERSONA_HTTP_THREADS") && e.getMessage().contains("'" + bad + "'")
                    && e.getMessage().contains("default (16)"), e.getMessage());
        }
    }
}
