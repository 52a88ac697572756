package dev.persona.cli;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.config.Secrets;
import dev.persona.config.SyncConfig;
import dev.persona.drivers.JdbcDrivers;
import dev.persona.runtime.PersonaHome;
import dev.persona.runtime.SyncPreflight;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code persona validate}: the checks {@code serve} makes of a configuration file before it starts anything, and
 * nothing else: no broker, no database, no port. Environment variables are substituted as {@code serve} would, and
 * each query sync must have a JDBC driver (shipped, or in a drivers directory). With {@code --connect} it also asks
 * each database what would stop its sync (the preflight a CDC sync runs at start; a query sync's login), and prints
 * every problem with its fix, connection URLs redacted.
 */
@Command(name = "validate", description = "Check a configuration file without starting anything; exit 0 when it is valid, 2 when not.")
final class ValidateCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "the configuration file")
    Path config;

    @Option(names = "--connect", description = "also connect to each sync's database and run the checks its start would "
            + "(CDC: binary log or logical decoding, grants, primary key; query: driver and login); reads nothing else")
    boolean connect;

    @Override
    public Integer call() {
        final PersonaConfig valid = ConfigLoader.fromSystemEnvironment().load(config);
        // Loading a driver connects to nothing: which query syncs have one is part of the configuration's checks.
        JdbcDrivers.loadAndCheck(valid, JdbcDrivers.directories(valid, PersonaHome.resolve()));
        System.out.printf("%s is valid: %d collection(s), %d sync(s), Kafka at %s%n", config, valid.collections().size(), valid.syncs().size(),
                valid.kafka().bootstrapServers().orElse("(none: serve needs --bootstrap-servers, or --embedded-kafka)"));
        if (!connect) {
            return 0;
        }
        final Secrets secrets = Secrets.of(valid);
        int problems = 0;
        for (final SyncConfig sync : valid.syncs()) {
            final Optional<String> problem = SyncPreflight.problem(sync);
            final String where = "sync " + sync.id() + " (" + sync.source().type() + " into " + sync.collection() + ")";
            if (problem.isPresent()) {
                problems++;
                System.out.println("  " + where + ": " + secrets.redact(problem.get()));
            } else {
                System.out.println("  " + where + ": ok");
            }
        }
        if (problems > 0) {
            throw new CommandFailure(problems + " sync(s) of " + config + " could not start; each is named above with its fix");
        }
        return 0;
    }
}
