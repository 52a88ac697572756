package dev.persona.cli;

import dev.persona.runtime.LogSetup;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.List;

/** The {@code persona} command line. {@code --help} and {@code --version} work on every subcommand too. */
@Command(name = "persona", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "Persona 0.1.0",
        description = "Self-hosted personalization API on Apache Kafka.",
        subcommands = {DemoCommand.class, ServeCommand.class, ValidateCommand.class, KeysCommand.class, SyncsCommand.class, ClusterCommand.class, PurgeCommand.class, WarehouseCommand.class,
                CommandLine.HelpCommand.class})
public final class PersonaCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(final String[] args) {
        try {
            LogSetup.fromArguments(List.of(args), System.getenv()).apply();
            // Checked before anything starts: a bad value would otherwise surface as a stack trace once Streams is built.
            dev.persona.kafka.StreamThreadPriority.niceOf(System.getenv());
        } catch (final IllegalArgumentException e) {
            System.err.println("persona: " + e.getMessage());
            System.exit(2);
        }
        System.exit(commandLine().execute(args));
    }

    /** The command line as {@code persona} runs it: a failure the user can fix prints one line and exits with 2. */
    public static CommandLine commandLine() {
        final CommandLine commandLine = new CommandLine(new PersonaCommand());
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof CommandFailure || e instanceof dev.persona.config.ConfigException) {
                cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return commandLine;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
