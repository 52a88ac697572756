package dev.persona.runtime;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.persona.config.Secrets;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogSetupTest {
    private static final Map<String, String> HOME = Map.of("PERSONA_HOME", "/srv/persona");

    @Test
    void shouldSendTheDemosLogToAFileUnlessVerbose() {
        final LogSetup quiet = LogSetup.fromArguments(List.of("demo", "--port", "8080"), HOME);
        assertEquals("FILE", quiet.appender());
        assertEquals(Path.of("/srv/persona/logs/persona.log"), quiet.file());
        assertEquals("logback-file.xml", quiet.configuration());
        assertEquals("TEXT", LogSetup.fromArguments(List.of("demo", "--verbose"), HOME).appender());
        assertEquals("TEXT", LogSetup.fromArguments(List.of("demo", "--help"), HOME).appender());
    }

    @Test
    void shouldLogEveryOtherCommandToTheTerminal() {
        assertEquals("TEXT", LogSetup.fromArguments(List.of("serve", "--config", "demo.yaml"), HOME).appender());
        assertEquals("TEXT", LogSetup.fromArguments(List.of("--port", "1", "keys", "list"), HOME).appender());
        assertEquals("TEXT", LogSetup.fromArguments(List.of(), HOME).appender());
    }

    @Test
    void shouldWriteJsonWhenAskedWhereverTheLogGoes() {
        final Map<String, String> json = Map.of("PERSONA_HOME", "/srv/persona", LogSetup.FORMAT_VARIABLE, "JSON");
        assertEquals("JSON", LogSetup.fromArguments(List.of("serve"), json).appender());
        final LogSetup demo = LogSetup.fromArguments(List.of("demo"), json);
        assertEquals("FILE_JSON", demo.appender());
        assertEquals(Path.of("/srv/persona/logs/persona.json.log"), demo.file());
    }

    @Test
    void shouldRefuseAFormatItDoesNotKnowNamingTheVariable() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LogSetup.fromArguments(List.of("serve"), Map.of(LogSetup.FORMAT_VARIABLE, "xml")));
        assertTrue(e.getMessage().contains("PERSONA_LOG_FORMAT=xml"), e.getMessage());
        assertTrue(e.getMessage().contains("json"), e.getMessage());
    }

    @Test
    void shouldWriteOneRedactedJsonObjectPerLine() throws Exception {
        LogRedaction.install(Secrets.ofValues(Set.of("hunter2-planted-secret")));
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        final PrintStream terminal = System.err;
        final LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        try {
            System.setErr(new PrintStream(written, true, StandardCharsets.UTF_8));
            final JoranConfigurator configurator = new JoranConfigurator();
            configurator.setContext(context);
            configurator.doConfigure(LogSetupTest.class.getResource("/logback-json.xml"));
            final Logger logger = context.getLogger("dev.persona.test");
            logger.info("connecting to jdbc:postgresql://db/test?password=hunter2-planted-secret with \"quotes\"\nand a second line");
            logger.warn("failed", new IllegalStateException("token hunter2-planted-secret refused"));
        } finally {
            context.stop();
            System.setErr(terminal);
        }
        final String output = written.toString(StandardCharsets.UTF_8);
        assertFalse(output.contains("hunter2-planted-secret"), output);
        final List<JsonNode> lines = new ArrayList<>();
        for (final String line : output.split("\n")) {
            lines.add(new ObjectMapper().readTree(line));
        }
        assertEquals(2, lines.size(), "<<" + output + ">>");
        assertEquals("INFO", lines.get(0).path("level").asText());
        assertEquals("dev.persona.test", lines.get(0).path("logger_name").asText());
        assertTrue(lines.get(0).path("message").asText().contains("\"quotes\"\nand a second line"), output);
        assertFalse(lines.get(0).has("stack_trace"), output);
        assertTrue(lines.get(1).path("stack_trace").asText().contains("IllegalStateException: token *** refused"), output);
    }
}
