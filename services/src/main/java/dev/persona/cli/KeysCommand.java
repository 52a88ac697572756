package dev.persona.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code persona keys}: API keys. */
@Command(name = "keys", description = "Create, list and revoke API keys. (Not built yet: arrives with the lookup API issue.)")
final class KeysCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return NotBuiltYet.report("keys", "arrives with the lookup API issue");
    }
}
