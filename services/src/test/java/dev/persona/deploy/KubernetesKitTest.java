package dev.persona.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.persona.cli.PersonaCommand;
import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code deploy/kubernetes} against what Persona actually serves and reads: every manifest parses, the container's
 * arguments are accepted by Persona's own command line, probes hit the paths and ports it serves, the volumes are
 * where it keeps state and reads its configuration, the configuration itself validates, and selectors match.
 */
class KubernetesKitTest {
    private static final Path KIT = Path.of("..", "deploy", "kubernetes");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final List<JsonNode> MANIFESTS = new ArrayList<>();

    @BeforeAll
    static void read() throws IOException {
        try (Stream<Path> files = Files.list(KIT)) {
            for (final Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                try (var documents = YAML.readerFor(JsonNode.class).<JsonNode>readValues(file.toFile())) {
                    while (documents.hasNext()) {
                        final JsonNode manifest = documents.next();
                        if (manifest != null && !manifest.isEmpty()) {
                            MANIFESTS.add(manifest);
                        }
                    }
                }
            }
        }
    }

    private static JsonNode one(final String kind, final String name) {
        return MANIFESTS.stream().filter(m -> m.path("kind").asText().equals(kind) && m.path("metadata").path("name").asText().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in " + KIT));
    }

    private static JsonNode container() {
        return one("StatefulSet", "persona").path("spec").path("template").path("spec").path("containers").get(0);
    }

    private static CommandLine.ParseResult serve() {
        final List<String> args = new ArrayList<>();
        container().path("args").forEach(arg -> args.add(arg.asText()));
        return PersonaCommand.commandLine().parseArgs(args.toArray(String[]::new)).subcommand();
    }

    private static int option(final String name) {
        return Integer.parseInt(text(name));
    }

    private static String text(final String name) {
        final Object value = serve().matchedOptionValue(name, null);
        if (value == null) {
            throw new AssertionError("the StatefulSet's arguments set no " + name);
        }
        return value.toString();
    }

    @Test
    void shouldParseEveryManifestWithAKindAndAName() {
        assertTrue(MANIFESTS.size() >= 6, "manifests read: " + MANIFESTS.size());
        for (final JsonNode manifest : MANIFESTS) {
            final boolean kustomization = manifest.path("kind").asText().equals("Kustomization");
            assertTrue(manifest.path("apiVersion").isTextual() && manifest.path("kind").isTextual()
                    && (kustomization || manifest.path("metadata").path("name").isTextual()), "apiVersion, kind and metadata.name: " + manifest);
        }
        final JsonNode kustomization = MANIFESTS.stream().filter(m -> m.path("kind").asText().equals("Kustomization")).findFirst().orElseThrow();
        kustomization.path("resources").forEach(resource -> assertTrue(Files.exists(KIT.resolve(resource.asText())), resource.asText()));
    }

    @Test
    void shouldRunArgumentsPersonasCommandLineAccepts() {
        assertEquals("serve", serve().commandSpec().name());
        assertEquals(8080, option("--port"));
        assertEquals(9090, option("--management-port"));
    }

    @Test
    void shouldProbeWhatTheManagementPortServes() {
        final Map<String, Integer> ports = new HashMap<>();
        container().path("ports").forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
        assertEquals(Map.of("http", option("--port"), "management", option("--management-port")), ports);
        final Map<String, String> expected = Map.of("startupProbe", "/healthz", "livenessProbe", "/healthz", "readinessProbe", "/readyz");
        expected.forEach((probe, path) -> {
            final JsonNode get = container().path(probe).path("httpGet");
            assertEquals(path, get.path("path").asText(), probe);
            assertEquals(option("--management-port"), ports.get(get.path("port").asText()), probe + " on the management port");
        });
        final JsonNode annotations = one("StatefulSet", "persona").path("spec").path("template").path("metadata").path("annotations");
        assertEquals(Integer.toString(option("--management-port")), annotations.path("prometheus.io/port").asText());
        assertEquals("/metrics", annotations.path("prometheus.io/path").asText());
    }

    @Test
    void shouldKeepStateOnTheVolumeAndReadTheConfigurationFromTheConfigMap() {
        final Map<String, String> mounts = new HashMap<>();
        container().path("volumeMounts").forEach(m -> mounts.put(m.path("name").asText(), m.path("mountPath").asText()));
        final String stateDir = text("--state-dir");
        assertTrue(stateDir.startsWith(mounts.get("state") + "/"), stateDir + " is on the state volume " + mounts.get("state"));
        final String claim = one("StatefulSet", "persona").path("spec").path("volumeClaimTemplates").get(0).path("metadata").path("name").asText();
        assertEquals("state", claim, "the state volume is a persistent volume claim");
        final Path config = Path.of(text("--config"));
        assertEquals(mounts.get("config"), config.getParent().toString());
        final JsonNode configMap = one("ConfigMap", "persona-config");
        assertTrue(configMap.path("data").has(config.getFileName().toString()), "the ConfigMap holds " + config.getFileName());
    }

    @Test
    void shouldHoldAConfigurationPersonaAcceptsWithEverySecretFromTheEnvironment() {
        final String yaml = one("ConfigMap", "persona-config").path("data").path("persona.yaml").asText();
        final Set<String> provided = new HashSet<>();
        container().path("env").forEach(e -> provided.add(e.path("name").asText()));
        one("Secret", "persona-secrets").path("stringData").fieldNames().forEachRemaining(provided::add);
        final Matcher variables = Pattern.compile("\\$\\{([A-Z0-9_]+)").matcher(yaml);
        final Map<String, String> environment = new HashMap<>();
        while (variables.find()) {
            assertTrue(provided.contains(variables.group(1)), variables.group(1) + " is set from env or the Secret");
            environment.put(variables.group(1), "placeholder-value-long-enough-1234");
        }
        environment.put("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092");
        final PersonaConfig config = ConfigLoader.withEnvironment(environment).parse(Path.of("persona.yaml"), yaml);
        assertEquals(Integer.valueOf(option("--management-port")), config.http().managementPort().orElseThrow());
    }

    @Test
    void shouldLeaveTheDrainTimeWithinTheGracePeriod() {
        final int grace = one("StatefulSet", "persona").path("spec").path("template").path("spec").path("terminationGracePeriodSeconds").asInt();
        // Drain, then leave the group and close Streams (commit, flush RocksDB): that takes seconds of its own.
        assertTrue(grace >= option("--drain-seconds") + 30, "grace " + grace + " s for a drain of " + option("--drain-seconds") + " s");
    }

    @Test
    void shouldSelectThePodsEverywhere() {
        final JsonNode set = one("StatefulSet", "persona");
        final JsonNode labels = set.path("spec").path("template").path("metadata").path("labels");
        assertEquals(labels, set.path("spec").path("selector").path("matchLabels"));
        assertEquals(labels, one("PodDisruptionBudget", "persona").path("spec").path("selector").path("matchLabels"));
        assertEquals("persona-headless", set.path("spec").path("serviceName").asText());
        final JsonNode headless = one("Service", "persona-headless");
        assertEquals("None", headless.path("spec").path("clusterIP").asText());
        for (final String service : List.of("persona", "persona-headless")) {
            final JsonNode spec = one("Service", service).path("spec");
            assertEquals(labels, spec.path("selector"), service);
            spec.path("ports").forEach(p -> assertTrue(container().path("ports").findValuesAsText("name").contains(p.path("targetPort").asText()),
                    service + " targets a named container port: " + p));
        }
        assertTrue(container().path("args").toString().contains("$(POD_NAME).persona-headless"), "instances advertise their stable pod names");
    }
}
