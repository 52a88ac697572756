package dev.persona.cli;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.drivers.JdbcDrivers;
import dev.persona.runtime.PersonaHome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code persona validate}: the checks {@code serve} makes of a configuration file before it starts anything, and
 * nothing else: no broker, no database, no port. Environment variables are substituted as {@code serve} would, and
 * each query sync must have a JDBC driver (shipped, or in a drivers directory).
 */
@Command(name = "validate", description = "Check a configuration file without starting anything; exit 0 when it is valid, 2 when not.")
final class ValidateCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "the configuration file")
    Path config;

    @Override
    public Integer call() {
        final PersonaConfig valid = ConfigLoader.fromSystemEnvironment().load(config);
        // Loading a driver connects to nothing: which query syncs have one is part of the configuration's checks.
        JdbcDrivers.loadAndCheck(valid, JdbcDrivers.directories(valid, PersonaHome.resolve()));
        System.out.printf("%s is valid: %d collection(s), %d sync(s), Kafka at %s%n", config, valid.collections().size(), valid.syncs().size(),
                valid.kafka().bootstrapServers().orElse("(none: serve needs --bootstrap-servers, or --embedded-kafka)"));
        return 0;
    }
}
