package dev.persona.cli;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.keys.ApiKeySecrets;
import dev.persona.demo.DemoConfig;
import dev.persona.demo.DemoWarehouse;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.LogSetup;
import dev.persona.runtime.PersonaHome;
import dev.persona.runtime.PersonaInstance;
import dev.persona.tls.DemoCertificates;
import dev.persona.tls.PeerTls;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code persona demo}: the embedded broker, sample customers from two syncs, and the API, on one machine. */
@Command(name = "demo", description = "Embedded Kafka broker, sample customers from two syncs, and the API, on one machine.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "8080", description = "HTTP port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--records", defaultValue = "10000", description = "sample customers in a new warehouse (default: ${DEFAULT-VALUE})")
    int records;

    @Option(names = "--fresh", description = "replace the demo warehouse with new sample data (your edits are lost)")
    boolean fresh;

    @Option(names = "--verbose", description = "write the log to the terminal instead of $PERSONA_HOME/logs/persona.log")
    boolean verbose;

    @Option(names = "--tls", description = "serve HTTPS with a certificate made for this run (its CA's path is printed for curl --cacert)")
    boolean tls;

    @Override
    public Integer call() throws Exception {
        if (records < 1) {
            throw new CommandFailure("--records must be at least 1");
        }
        final Instant started = Instant.now();
        final Path home = PersonaHome.resolve();
        final Path logFile = LogSetup.fromArguments(List.of("demo"), System.getenv()).file();
        final String logs = verbose ? "the log above" : "the log in " + logFile;
        final Path configFile = DemoConfig.writeConfig(home);
        final Path warehouse = DemoConfig.warehouse(home);
        if (fresh) {
            java.nio.file.Files.deleteIfExists(warehouse);
        }
        if (fresh || !java.nio.file.Files.exists(warehouse)) {
            progress("Creating the demo warehouse with " + records + " sample customers");
        }
        final boolean created = DemoWarehouse.createIfMissing(warehouse, records);
        final PersonaConfig loaded = ConfigLoader.fromSystemEnvironment().load(configFile);
        final PersonaConfig config = tls ? loaded.withHttp(loaded.http().withTls(DemoCertificates.create(home.resolve("tls")))) : loaded;
        final String scheme = tls ? "https" : "http";
        final String curl = tls ? "curl --cacert " + config.http().tls().orElseThrow().trustedCertificates() + " " : "curl ";
        final HttpClient client = tls ? HttpClient.newBuilder().sslContext(PeerTls.clientContext(config.http().tls().orElseThrow())).build()
                : HttpClient.newHttpClient();
        final String key = Optional.ofNullable(System.getenv("PERSONA_DEMO_API_KEY")).filter(k -> !k.isBlank())
                .orElseGet(ApiKeySecrets::newSecret);
        progress("Starting the embedded Kafka broker and Persona" + (verbose ? "" : " (log: " + logFile + ")"));
        final PersonaInstance instance = Instances.start(config,
                new InstanceOptions("127.0.0.1", port, "127.0.0.1", home.resolve("state").resolve("demo-" + port), home, Optional.empty(), Duration.ZERO));
        try {
            instance.keys().create("demo", key, dev.persona.keys.KeySpec.admin("demo"));
            final String base = scheme + "://127.0.0.1:" + instance.port();
            final String url = base + "/v1/collections/customers/records/id/1";
            progress("Waiting for the first runs of the two syncs to be merged and readable");
            awaitFirstAnswer(client, url, key, logs);
            // The printed lines must work when pasted: the email index catches up a moment after the record.
            awaitFirstAnswer(client, base + "/v1/collections/customers/records/email/jane.doe@example.com", key, logs);
            // After a crash (kill -9) the exactly-once state is rebuilt from its changelog: record 1 may answer while
            // other partitions still restore and answer 503. "Up" means every partition answers.
            awaitReady(client, base + "/readyz", logs);
            System.out.println();
            System.out.println("Persona demo is up in " + Duration.between(started, Instant.now()).toMillis() / 1000.0 + "s: "
                    + "customers from two query syncs (profiles, usage) over a DuckDB warehouse, run every 10s.");
            System.out.println("Warehouse: " + warehouse + (created ? " (new)" : " (kept from the last run; --fresh replaces it)"));
            System.out.println("Kafka bootstrap: " + instance.bootstrapServers());
            System.out.println("Config: " + configFile);
            System.out.println("API key: " + key + "   (an admin key; set PERSONA_DEMO_API_KEY to choose it)");
            if (tls) {
                System.out.println("TLS: HTTPS with a certificate for localhost and 127.0.0.1, signed by the CA in "
                        + config.http().tls().orElseThrow().trustedCertificates());
            }
            System.out.println("Try: " + curl + "-H \"Authorization: Bearer " + key + "\" " + url);
            System.out.println("     " + curl + "-H \"Authorization: Bearer " + key + "\" " + base
                    + "/v1/collections/customers/records/email/jane.doe@example.com");
            System.out.println("     " + curl + "-X POST -H \"Authorization: Bearer " + key + "\" -d '{\"entity\":\"customers\",\"destinationId\":\"demo\","
                    + "\"id\":{\"type\":\"user_id\",\"value\":\"2\"}}' " + base + "/v1/activation");
            System.out.println("Edit:  ./persona warehouse \"update profiles set name = 'Janet Doe' where id = 1\"   (visible within 10s)");
            System.out.println("Console: " + base + "/console   (sign in with the API key)");
            System.out.println("Log: " + (verbose ? "this terminal" : logFile + "   (--verbose writes it here instead)"));
            System.out.println("Stop with Ctrl-C.");
        } catch (final RuntimeException e) {
            instance.close();
            throw e;
        }
        Instances.awaitShutdown(instance);
        return 0;
    }

    private static void progress(final String step) {
        System.out.println("... " + step);
    }

    private static void awaitReady(final HttpClient client, final String url, final String logs) throws IOException, InterruptedException {
        await(client, HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(), response -> response.statusCode() == 200,
                Duration.ofMinutes(5), "the demo's store partitions did not all become readable within 5 minutes (/readyz); see " + logs);
    }

    private static void awaitFirstAnswer(final HttpClient client, final String url, final String key, final String logs)
            throws IOException, InterruptedException {
        await(client, HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key).timeout(Duration.ofSeconds(5)).build(),
                response -> response.statusCode() == 200 && response.body().contains("num_messages_sent") && response.body().contains("full_name"),
                Duration.ofMinutes(2), "the demo record did not become readable within 2 minutes; see " + logs);
    }

    /** Sends {@code request} every 100 ms until an answer is {@code good}, or fails with {@code failure} after {@code limit}. */
    private static void await(final HttpClient client, final HttpRequest request, final java.util.function.Predicate<HttpResponse<String>> good,
                              final Duration limit, final String failure) throws IOException, InterruptedException {
        final long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (good.test(client.send(request, HttpResponse.BodyHandlers.ofString()))) {
                return;
            }
            Thread.sleep(100);
        }
        throw new CommandFailure(failure);
    }
}
