package dev.persona.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code persona cluster}: which instance owns which partitions, lag, restoration. */
@Command(name = "cluster", description = "Which instance holds which partitions of each store (active, standby), their lag and restoration.")
final class ClusterCommand extends AdminTarget implements Callable<Integer> {
    @Override
    public Integer call() {
        final String format = "%-22s %-12s %-22s %-14s %-14s %-16s %s%n";
        System.out.printf(format, "INSTANCE", "STATE", "STORE", "ACTIVE", "STANDBY", "LAG (p=offsets)", "RESTORING (p=done/total)");
        for (final JsonNode instance : send("GET", "/admin/cluster", null).path("instances")) {
            if (instance.has("error")) {
                System.out.printf(format, instance.path("host").asText(), "-", "-", "-", "-", "-", instance.path("error").asText());
                continue;
            }
            final Iterator<Map.Entry<String, JsonNode>> stores = instance.path("stores").fields();
            if (!stores.hasNext()) {
                System.out.printf(format, instance.path("host").asText(), instance.path("state").asText(), "(none)", "", "", "", "");
            }
            while (stores.hasNext()) {
                final Map.Entry<String, JsonNode> store = stores.next();
                final JsonNode view = store.getValue();
                System.out.printf(format, instance.path("host").asText(), instance.path("state").asText(), store.getKey(),
                        view.path("active").toString(), view.path("standby").toString(), pairs(view.path("offsetLag")), restoring(view.path("restoring")));
            }
        }
        return 0;
    }

    private static String pairs(final JsonNode map) {
        final StringBuilder text = new StringBuilder();
        map.fields().forEachRemaining(e -> text.append(text.length() == 0 ? "" : " ").append(e.getKey()).append('=').append(e.getValue().asText()));
        return text.length() == 0 ? "-" : text.toString();
    }

    private static String restoring(final JsonNode map) {
        final StringBuilder text = new StringBuilder();
        map.fields().forEachRemaining(e -> text.append(text.length() == 0 ? "" : " ").append(e.getKey()).append('=')
                .append(e.getValue().path("restored").asText()).append('/').append(e.getValue().path("total").asText()));
        return text.length() == 0 ? "-" : text.toString();
    }
}
