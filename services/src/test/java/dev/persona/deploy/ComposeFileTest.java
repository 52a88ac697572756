package dev.persona.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.persona.config.ConfigLoader;
import dev.persona.testing.HostTools;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code docker-compose.yml}, alone and with deploy/compose-test's override, is a file {@code docker-compose config}
 * accepts (Debian's docker-compose; skipped without it, except under {@code CI=true}), the override changes only
 * images, the compose test's Kafka is the version Persona uses, and the configuration the instances mount validates.
 */
class ComposeFileTest {
    private static final Path ROOT = Path.of("..");

    private static String dockerCompose() {
        return HostTools.required("docker-compose", "docker-compose").toString();
    }

    private static JsonNode config(final String... files) throws Exception {
        final List<String> command = new java.util.ArrayList<>(List.of(dockerCompose()));
        for (final String file : files) {
            command.addAll(List.of("-f", file));
        }
        command.add("config");
        final ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile());
        builder.environment().put("PERSONA_ADMIN_KEY", "compose-file-test-key");
        final Process process = builder.start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        final String errors = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), "docker-compose config: " + errors);
        return new ObjectMapper(new YAMLFactory()).readTree(output);
    }

    @Test
    void shouldBeAComposeFileDockerComposeAccepts() throws Exception {
        final JsonNode services = config("docker-compose.yml").path("services");
        for (final String service : List.of("kafka", "postgres", "persona1", "persona2", "persona3")) {
            assertTrue(services.has(service), service);
        }
        assertEquals("serve", services.path("persona1").path("command").get(0).asText());
    }

    @Test
    void shouldOverrideOnlyImagesForTheComposeTest() throws Exception {
        final JsonNode plain = config("docker-compose.yml").path("services");
        final JsonNode tested = config("docker-compose.yml", "deploy/compose/override.yml").path("services");
        tested.fieldNames().forEachRemaining(name -> {
            final com.fasterxml.jackson.databind.node.ObjectNode a = plain.path(name).deepCopy();
            final com.fasterxml.jackson.databind.node.ObjectNode b = tested.path(name).deepCopy();
            assertTrue(b.path("image").asText().startsWith("localhost/"), name + " runs a local image");
            a.remove("image");
            b.remove("image");
            assertEquals(a, b, name + ": the override changes nothing but the image");
        });
    }

    @Test
    void shouldBuildTheComposeTestsKafkaFromTheKafkaVersionPersonaUses() throws Exception {
        final java.util.regex.Pattern version = java.util.regex.Pattern.compile("<kafka.version>([^<]+)</kafka.version>");
        final java.util.regex.Matcher root = version.matcher(Files.readString(ROOT.resolve("pom.xml")));
        final java.util.regex.Matcher image = version.matcher(Files.readString(ROOT.resolve("deploy/compose/kafka/pom.xml")));
        assertTrue(root.find() && image.find());
        assertEquals(root.group(1), image.group(1));
    }

    @Test
    void shouldMountAConfigurationPersonaAccepts() {
        ConfigLoader.withEnvironment(Map.of("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092", "PG_PASSWORD", "persona"))
                .load(ROOT.resolve("docker/persona.yaml"));
    }
}
