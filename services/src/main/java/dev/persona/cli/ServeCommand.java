package dev.persona.cli;

import dev.persona.config.ConfigException;
import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaHome;
import dev.persona.runtime.PersonaInstance;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code persona serve}: one instance; several with the same config form one cluster. */
@Command(name = "serve", description = "Run one instance; instances with the same config (and Kafka cluster) form one cluster.")
final class ServeCommand implements Callable<Integer> {
    /** The shortest admin key accepted from {@code PERSONA_ADMIN_KEY}, as for {@code http.clusterSecret}. */
    static final int MIN_ADMIN_KEY_LENGTH = 16;

    @Option(names = "--config", required = true, description = "the configuration file")
    Path config;

    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers; overrides the file's kafka.bootstrapServers")
    String bootstrapServers;

    @Option(names = "--port", defaultValue = "8080", description = "HTTP port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--state-dir", description = "where this instance keeps its stores (default: $PERSONA_HOME/state/<port>)")
    Path stateDir;

    @Option(names = "--host", defaultValue = "0.0.0.0", description = "HTTP listen address (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--advertised-host", defaultValue = "${env:PERSONA_ADVERTISED_HOST:-127.0.0.1}",
            description = "the host other instances reach this one at (default: $PERSONA_ADVERTISED_HOST or 127.0.0.1)")
    String advertisedHost;

    @Option(names = "--management-port",
            description = "serve /metrics, /healthz, /readyz and /admin on this port instead; overrides the file's http.managementPort")
    Integer managementPort;

    @Option(names = "--embedded-kafka",
            description = "start an in-process Kafka broker when no bootstrap servers are given (one machine, tests); never for a fleet")
    boolean embeddedKafka;

    @Option(names = "--drain-seconds", defaultValue = "2",
            description = "on SIGTERM, answer for this long with readiness false before stopping (default: ${DEFAULT-VALUE})")
    int drainSeconds;

    @Override
    public Integer call() {
        final PersonaConfig loaded;
        try {
            final PersonaConfig file = ConfigLoader.fromSystemEnvironment().load(config);
            final PersonaConfig withKafka = bootstrapServers == null ? file : file.withKafka(file.kafka().withBootstrapServers(bootstrapServers));
            loaded = managementPort == null ? withKafka : withKafka.withHttp(withKafka.http().withManagementPort(managementPort));
        } catch (final ConfigException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        if (loaded.kafka().bootstrapServers().isEmpty() && !embeddedKafka) {
            // A typo in the variable used to start an isolated in-process broker per instance, each reporting ready.
            System.err.println(config + ": kafka.bootstrapServers is not set (or its variable is empty) and --bootstrap-servers is not "
                    + "given: pass the Kafka cluster's servers, or --embedded-kafka to run a single instance on an in-process broker");
            return 2;
        }
        final Optional<String> adminKey = Optional.ofNullable(System.getenv("PERSONA_ADMIN_KEY")).filter(k -> !k.isBlank());
        final Optional<String> weak = adminKey.flatMap(ServeCommand::weakness);
        if (weak.isPresent()) {
            System.err.println("PERSONA_ADMIN_KEY " + weak.get() + ": set it to a long random secret (openssl rand -hex 32)");
            return 2;
        }
        if (adminKey.isEmpty()) {
            System.err.println("No admin key: PERSONA_ADMIN_KEY is not set, so this instance accepts no admin key of its own. Keys created "
                    + "before keep working. To administer it, restart with PERSONA_ADMIN_KEY set to a long random secret "
                    + "(openssl rand -hex 32), then create keys with: persona keys create --name NAME --collections C");
        }
        final Path home = PersonaHome.resolve();
        final InstanceOptions options = new InstanceOptions(host, port, advertisedHost,
                stateDir != null ? stateDir : home.resolve("state").resolve(Integer.toString(port)), home,
                adminKey, java.time.Duration.ofSeconds(drainSeconds));
        final PersonaInstance instance = Instances.start(loaded, options);
        System.out.println("Persona serving on " + instance.url() + " (Kafka " + instance.bootstrapServers() + ")");
        Instances.awaitShutdown(instance);
        return 0;
    }

    /**
     * Why an admin key must not be used, if so. Found running docker-compose.yml with podman-compose 1.0, which passes
     * {@code ${PERSONA_ADMIN_KEY:-}} through unsubstituted: every instance took that public text as its admin key.
     */
    static Optional<String> weakness(final String key) {
        if (key.contains("${") || key.startsWith("$")) {
            return Optional.of("looks like an unsubstituted variable (" + key + "): the tool that started Persona did not replace it");
        }
        if (key.length() < MIN_ADMIN_KEY_LENGTH) {
            return Optional.of("is " + key.length() + " characters; an admin key needs at least " + MIN_ADMIN_KEY_LENGTH);
        }
        return Optional.empty();
    }
}
