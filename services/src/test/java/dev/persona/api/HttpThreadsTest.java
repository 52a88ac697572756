package dev.persona.api;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpThreadsTest {

    @Test
    void shouldTakeTheThreadCountFromTheEnvironmentOrTheDefault() {
        assertEquals(4, HttpThreads.threadCount(Map.of("PERSONA_HTTP_SELECTORS", " 4 "), "PERSONA_HTTP_SELECTORS", 2));
        assertEquals(2, HttpThreads.threadCount(Map.of(), "PERSONA_HTTP_SELECTORS", 2));
        assertEquals(2, HttpThreads.threadCount(Map.of("PERSONA_HTTP_SELECTORS", ""), "PERSONA_HTTP_SELECTORS", 2));
    }

    @Test
    void shouldRefuseAThreadCountThatIsNotAPositiveWholeNumberNamingTheVariable() {
        for (final String bad : new String[]{"0", "-3", "many", "2.5"}) {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> HttpThreads.threadCount(Map.of("PERSONA_HTTP_THREADS", bad), "PERSONA_HTTP_THREADS", 16));
            assertTrue(e.getMessage().contains("PERSONA_HTTP_THREADS") && e.getMessage().contains("'" + bad + "'")
                    && e.getMessage().contains("default (16)"), e.getMessage());
        }
    }

    @Test
    void shouldRefuseAPoolTooSmallForTheSelectorsNamingTheMinimum() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HttpThreads.forCores(16, Map.of("PERSONA_HTTP_THREADS", "16")));
        assertTrue(e.getMessage().contains("at least 37"), e.getMessage());
    }

    /** Jetty checks its thread budget with the JVM's core count: each size starts in a JVM that sees that many cores. */
    @Test
    void shouldStartJettyOnOneToSixtyFourCores() throws Exception {
        for (final int cores : new int[]{1, 2, 3, 16, 64}) {
            final Process process = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:ActiveProcessorCount=" + cores, "-cp", System.getProperty("java.class.path"), HttpThreadsProbe.class.getName())
                    .redirectErrorStream(true).start();
            final String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(0, process.exitValue(), cores + " cores: " + output);
            assertTrue(output.contains("answered 200 on " + cores + " cores"), output);
        }
    }
}
