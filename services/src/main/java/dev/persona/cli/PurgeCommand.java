package dev.persona.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.topology.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code persona purge}: GDPR erasure of one person, through a running instance's admin API. */
@Command(name = "purge", description = {"Remove a person everywhere Persona keeps them (GDPR): the record, its index entries, its rows in "
        + "Persona's topics (tombstones; compaction removes them), and keep its syncs from bringing it back until their sources delete it.",
        "Every purge is recorded in the audit topic <topicPrefix>.purge-audit (who, when, hashes of the key; no data)."})
final class PurgeCommand extends AdminTarget implements Callable<Integer> {
    @Option(names = "--collection", required = true, description = "the collection")
    String collection;

    @Option(names = "--index", defaultValue = "id", description = "the index the person is named by: id (default) or a secondary index")
    String index;

    @Option(names = "--value", required = true, description = "the value of that index")
    String value;

    @Override
    public Integer call() {
        final ObjectNode body = Json.mapper().createObjectNode().put("index", index).put("value", value);
        final JsonNode audit = send("POST", "/admin/collections/" + collection + "/purge", body.toString());
        System.out.println("Purged from collection " + collection + " at " + audit.path("at").asText() + " (audit key "
                + audit.path("keySha256").asText() + ")");
        System.out.println("Cleared topics: " + String.join(", ", Json.mapper().convertValue(audit.path("cleared"), String[].class)));
        if (!audit.path("notPersonas").isEmpty()) {
            System.out.println("Not Persona's to clear (ask their producers to delete the key; Persona keeps the record out until they do): "
                    + String.join(", ", Json.mapper().convertValue(audit.path("notPersonas"), String[].class)));
        }
        return 0;
    }
}
