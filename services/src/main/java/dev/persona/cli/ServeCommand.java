package dev.persona.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code persona serve}: one instance. */
@Command(name = "serve", description = "Run one instance; instances with the same config form a cluster. (Not built yet: arrives with the lookup API issue.)")
final class ServeCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return NotBuiltYet.report("serve", "arrives with the lookup API issue");
    }
}
