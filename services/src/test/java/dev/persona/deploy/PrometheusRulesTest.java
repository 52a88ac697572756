package dev.persona.deploy;

import dev.persona.testing.HostTools;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code deploy/prometheus/alerts.yaml} is valid for Prometheus ({@code promtool check rules}) and each rule fires on
 * the series it is meant for and not before its time ({@code promtool test rules alerts-test.yaml}). Needs Debian's
 * {@code prometheus} package (.ci/run installs it); skipped without it, except under {@code CI=true}.
 */
class PrometheusRulesTest {
    private static final Path KIT = Path.of("..", "deploy", "prometheus");

    private static String promtool() {
        return HostTools.required("promtool", "prometheus").toString();
    }

    private static String run(final String... command) throws IOException, InterruptedException {
        final Process process = new ProcessBuilder(command).directory(KIT.toFile()).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "promtool finished");
        assertEquals(0, process.exitValue(), String.join(" ", command) + ":\n" + output);
        return output;
    }

    @Test
    void shouldBeRulesPrometheusAccepts() throws Exception {
        final String output = run(promtool(), "check", "rules", "alerts.yaml");
        assertTrue(output.contains("SUCCESS"), output);
    }

    @Test
    void shouldFireEachAlertOnTheSeriesItIsFor() throws Exception {
        final String output = run(promtool(), "test", "rules", "alerts-test.yaml");
        assertTrue(output.contains("SUCCESS"), output);
        for (final String alert : List.of("PersonaSyncFailing", "PersonaSyncNotSucceeding", "PersonaDeadLetters", "PersonaInstanceNotReady",
                "PersonaCdcSlotLagging")) {
            assertTrue(Files.readString(KIT.resolve("alerts-test.yaml")).contains("alertname: " + alert), alert + " has a test");
        }
    }
}
