package dev.persona.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code persona demo}: everything on one machine. */
@Command(name = "demo", description = "Embedded broker, sample data and the API on one machine. (Not built yet: arrives with the lookup API issue.)")
final class DemoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return NotBuiltYet.report("demo", "arrives with the lookup API issue");
    }
}
