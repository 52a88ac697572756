package dev.persona.client;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.HostTools;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestConfigs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TypeScript client ({@code client-ts/}) against a real cluster of two instances: its own tests (node's test
 * runner) run with the cluster's addresses, so that the ones that need a cluster run too. Needs Node.js and npm;
 * skipped without them, except under {@code CI=true}.
 */
class TypeScriptClientIT {
    private static final String ADMIN = "ts-client-admin";
    private static final int RECORDS = 20;

    @Test
    void theTypeScriptClientRoutesByKeyKeepsETagsAndWaitsOut503s() throws Exception {
        final Path npm = HostTools.required("npm", "npm");
        HostTools.required("node", "nodejs");
        final Path project = Path.of("..", "client-ts").toAbsolutePath().normalize();
        try (TestKafka kafka = TestKafka.start()) {
            final String app = TestKafka.uniqueName("ts-client");
            final String yaml = TestConfigs.customersYaml(kafka.bootstrapServers(), app).replaceFirst("(?m)^(  applicationId: .*)$", "$1\n  standbyReplicas: 0");
            final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).parse(Path.of(app + ".yaml"), yaml);
            final Path stateA = Files.createTempDirectory("persona-tsa");
            final Path stateB = Files.createTempDirectory("persona-tsb");
            try (PersonaInstance a = PersonaInstance.start(config, InstanceOptions.local(stateA, stateA).withAdminKey(ADMIN));
                 PersonaInstance b = PersonaInstance.start(config, InstanceOptions.local(stateB, stateB).withAdminKey(ADMIN))) {
                try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
                    for (int i = 0; i < RECORDS; i++) {
                        TestConfigs.produce(producer, config, "customers", "profiles", "c" + i,
                                "{\"id\":\"c" + i + "\",\"name\":\"Customer " + i + "\",\"email\":\"c" + i + "@example.com\"}");
                    }
                }
                final TestHttp http = new TestHttp(a.port());
                Poll.until(Duration.ofSeconds(90), "both instances running, every record readable", () ->
                        a.streams().state() == KafkaStreams.State.RUNNING && b.streams().state() == KafkaStreams.State.RUNNING
                                && IntStream.range(0, RECORDS).allMatch(i -> http.get("/v1/collections/customers/records/id/c" + i, bearer(ADMIN)).statusCode() == 200));
                run(project, Map.of(), npm.toString(), "ci", "--no-audit", "--no-fund");
                final String output = run(project, Map.of("PERSONA_URLS", "http://127.0.0.1:" + a.port() + ",http://127.0.0.1:" + b.port(),
                        "PERSONA_API_KEY", ADMIN, "PERSONA_RECORDS", Integer.toString(RECORDS)), npm.toString(), "test");
                assertTrue(output.contains("# fail 0"), output);
                assertTrue(output.contains("# skipped 0"), "the cluster tests ran too:\n" + output);
            } finally {
                TempDirs.delete(stateA);
                TempDirs.delete(stateB);
            }
        }
    }

    /** Runs a command in {@code dir}, failing the test unless it succeeds in five minutes; its output. */
    private static String run(final Path dir, final Map<String, String> environment, final String... command) throws IOException, InterruptedException {
        final ProcessBuilder builder = new ProcessBuilder(List.of(command)).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().putAll(environment);
        final Process process = builder.start();
        final byte[] out = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), String.join(" ", command) + " did not end");
        final String output = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), String.join(" ", command) + " failed:\n" + output);
        return output;
    }
}
