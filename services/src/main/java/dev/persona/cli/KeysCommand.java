package dev.persona.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.topology.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code persona keys}: API keys, through a running instance's admin API. */
@Command(name = "keys", description = "Create, list and revoke API keys through a running instance's admin API.",
        subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Revoke.class})
final class KeysCommand {

    @Command(name = "create", description = "Create a key; its secret is printed once.")
    static final class Create extends AdminTarget implements Callable<Integer> {
        @Option(names = "--name", required = true, description = "what the key is for")
        String name;

        @Option(names = "--collections", split = ",",
                description = "collections it may read, or '*' for every one (required unless --admin)")
        List<String> collections;

        @Option(names = "--admin", description = "may also use /admin, and reads every collection")
        boolean admin;

        @Option(names = "--rate", description = "its own rate limit per instance, as 200/s, 5000/m or 100000/h (default: the config's)")
        String rate;

        @Option(names = "--fields", split = ",", description = "the only fields it may see (default: every field)")
        List<String> fields;

        @Override
        public Integer call() {
            if (collections == null && !admin) {
                throw new CommandFailure("say what the key may read: --collections a,b, or --collections '*' for every collection");
            }
            final ObjectNode body = Json.mapper().createObjectNode().put("name", name).put("admin", admin);
            if (collections != null) {
                collections.forEach(body.putArray("collections")::add);
            }
            if (rate != null) {
                body.put("rate", rate);
            }
            if (fields != null) {
                fields.forEach(body.putArray("fields")::add);
            }
            final JsonNode created = send("POST", "/admin/keys", body.toString());
            System.out.println("Created key " + created.path("id").asText() + " (" + name + ")");
            System.out.println("Secret, shown once: " + created.path("key").asText());
            return 0;
        }
    }

    @Command(name = "list", description = "List keys (never their secrets).")
    static final class ListKeys extends AdminTarget implements Callable<Integer> {
        @Override
        public Integer call() {
            final JsonNode keys = send("GET", "/admin/keys", null).path("keys");
            System.out.printf("%-14s %-24s %-6s %-24s %-9s %-24s %-26s %s%n", "ID", "NAME", "ADMIN", "COLLECTIONS", "RATE", "FIELDS",
                    "CREATED", "REVOKED");
            for (final JsonNode key : keys) {
                System.out.printf("%-14s %-24s %-6s %-24s %-9s %-24s %-26s %s%n", key.path("id").asText(), key.path("name").asText(),
                        key.path("admin").asBoolean() ? "yes" : "no", joined(key.path("collections"), "(none)"),
                        key.path("rate").isTextual() ? key.path("rate").asText() : "default", joined(key.path("fields"), "(all)"),
                        key.path("createdAt").asText(), key.path("revokedAt").isNull() ? "-" : key.path("revokedAt").asText());
            }
            return 0;
        }
    }

    private static String joined(final JsonNode list, final String whenEmpty) {
        return list.isArray() && !list.isEmpty() ? String.join(",", Json.mapper().convertValue(list, String[].class)) : whenEmpty;
    }

    @Command(name = "revoke", description = "Revoke a key on every instance.")
    static final class Revoke extends AdminTarget implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "the key's id, from 'keys list'")
        String id;

        @Override
        public Integer call() {
            send("DELETE", "/admin/keys/" + id, null);
            System.out.println("Revoked key " + id);
            return 0;
        }
    }
}
