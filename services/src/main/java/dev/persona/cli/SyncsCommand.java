package dev.persona.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code persona syncs}: sync status and runs, through a running instance's admin API. */
@Command(name = "syncs", description = "Sync status; trigger, resync or cancel a run of a query sync.",
        subcommands = {SyncsCommand.ListSyncs.class, SyncsCommand.Run.class, SyncsCommand.Cancel.class})
final class SyncsCommand {

    @Command(name = "list", description = "Each sync with its last run.")
    static final class ListSyncs extends AdminTarget implements Callable<Integer> {
        @Override
        public Integer call() {
            final String format = "%-14s %-12s %-6s %-10s %-24s %8s %8s %8s %8s  %s%n";
            System.out.printf(format, "SYNC", "COLLECTION", "SOURCE", "STATUS", "STARTED", "READ", "UPSERTED", "DELETED", "SAME", "ERROR");
            for (final JsonNode sync : send("GET", "/admin/syncs", null).path("syncs")) {
                final JsonNode run = sync.path("lastRun");
                System.out.printf(format, sync.path("id").asText(), sync.path("collection").asText(), sync.path("source").path("type").asText(),
                        run.isMissingNode() || run.isNull() ? "-" : run.path("status").asText(), run.path("startedAt").asText("-"),
                        run.path("rowsRead").asText("-"), run.path("upserted").asText("-"), run.path("deleted").asText("-"),
                        run.path("unchanged").asText("-"), run.path("error").isNull() ? "" : run.path("error").asText(""));
            }
            return 0;
        }
    }

    @Command(name = "run", description = "Run a query sync now, on the instance that owns it.")
    static final class Run extends AdminTarget implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "the sync id")
        String id;

        @Option(names = "--full", description = "send every row, not just the changes")
        boolean full;

        @Override
        public Integer call() {
            send("POST", "/admin/syncs/" + id + "/runs", "{\"full\":" + full + "}");
            System.out.println("Requested a " + (full ? "full " : "") + "run of " + id + "; see: persona syncs list");
            return 0;
        }
    }

    @Command(name = "cancel", description = "Stop a query sync's run in progress; nothing of it is applied.")
    static final class Cancel extends AdminTarget implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "the sync id")
        String id;

        @Override
        public Integer call() {
            send("POST", "/admin/syncs/" + id + "/cancel", "");
            System.out.println("Asked the instance running " + id + " to cancel its run in progress; see: persona syncs list");
            return 0;
        }
    }
}
