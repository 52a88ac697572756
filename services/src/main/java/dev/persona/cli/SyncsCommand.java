package dev.persona.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code persona syncs}: sync status and runs. */
@Command(name = "syncs", description = "Sync status; trigger a run or a full resync. (Not built yet: arrives with the ingest issue.)",
        subcommands = {SyncsCommand.List.class, SyncsCommand.Run.class})
final class SyncsCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return NotBuiltYet.report("syncs", "arrives with the ingest issue: CDC and query syncs");
    }

    @Command(name = "list", description = "Each sync with its last run.")
    static final class List implements Callable<Integer> {
        @Override
        public Integer call() {
            return NotBuiltYet.report("syncs list", "arrives with the ingest issue: CDC and query syncs");
        }
    }

    @Command(name = "run", description = "Trigger a run of one sync.")
    static final class Run implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "the sync id")
        String id;

        @Option(names = "--full", description = "resync every row, not just the changes")
        boolean full;

        @Override
        public Integer call() {
            return NotBuiltYet.report("syncs run", "arrives with the ingest issue: CDC and query syncs");
        }
    }
}
