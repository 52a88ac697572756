package dev.persona.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.topology.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code persona keys}: API keys, through a running instance's admin API. */
@Command(name = "keys", description = "Create, list and revoke API keys through a running instance's admin API.",
        subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Revoke.class})
final class KeysCommand {

    /** Where to reach the admin API, and with which admin key. */
    static class Target {
        @Option(names = "--url", defaultValue = "${env:PERSONA_URL:-http://127.0.0.1:8080}",
                description = "a running instance (default: $PERSONA_URL or http://127.0.0.1:8080)")
        String url;

        @Option(names = "--admin-key", description = "an admin key (default: $PERSONA_ADMIN_KEY, else $PERSONA_DEMO_API_KEY)")
        String adminKey;

        JsonNode send(final String method, final String path, final String body) {
            final String key = adminKey != null ? adminKey : firstSet("PERSONA_ADMIN_KEY", "PERSONA_DEMO_API_KEY");
            if (key == null) {
                throw new CommandFailure("no admin key: pass --admin-key, or set PERSONA_ADMIN_KEY (the demo prints one)");
            }
            final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + path))
                    .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            try {
                final HttpResponse<String> response = HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() >= 400) {
                    final JsonNode error = Json.mapper().readTree(response.body());
                    throw new CommandFailure(url + " answered " + response.statusCode() + ": " + error.path("message").asText(response.body()));
                }
                return response.body().isEmpty() ? Json.mapper().createObjectNode() : Json.mapper().readTree(response.body());
            } catch (final ConnectException e) {
                throw new CommandFailure("no Persona instance answers at " + url + ": start one (./persona demo) or pass --url");
            } catch (final IOException e) {
                throw new CommandFailure("cannot reach " + url + ": " + e.getMessage());
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CommandFailure("interrupted");
            }
        }

        private static String firstSet(final String... names) {
            for (final String name : names) {
                final String value = System.getenv(name);
                if (value != null && !value.isBlank()) {
                    return value;
                }
            }
            return null;
        }
    }

    @Command(name = "create", description = "Create a key; its secret is printed once.")
    static final class Create extends Target implements Callable<Integer> {
        @Option(names = "--name", required = true, description = "what the key is for")
        String name;

        @Option(names = "--collections", split = ",", description = "collections it may read (default: all)")
        List<String> collections = List.of();

        @Option(names = "--admin", description = "may also use /admin")
        boolean admin;

        @Override
        public Integer call() {
            final ObjectNode body = Json.mapper().createObjectNode().put("name", name).put("admin", admin);
            collections.forEach(body.putArray("collections")::add);
            final JsonNode created = send("POST", "/admin/keys", body.toString());
            System.out.println("Created key " + created.path("id").asText() + " (" + name + ")");
            System.out.println("Secret, shown once: " + created.path("key").asText());
            return 0;
        }
    }

    @Command(name = "list", description = "List keys (never their secrets).")
    static final class ListKeys extends Target implements Callable<Integer> {
        @Override
        public Integer call() {
            final JsonNode keys = send("GET", "/admin/keys", null).path("keys");
            System.out.printf("%-14s %-24s %-6s %-24s %-26s %s%n", "ID", "NAME", "ADMIN", "COLLECTIONS", "CREATED", "REVOKED");
            for (final JsonNode key : keys) {
                final String collections = key.path("collections").isEmpty() ? "(all)" : String.join(",",
                        Json.mapper().convertValue(key.path("collections"), String[].class));
                System.out.printf("%-14s %-24s %-6s %-24s %-26s %s%n", key.path("id").asText(), key.path("name").asText(),
                        key.path("admin").asBoolean() ? "yes" : "no", collections, key.path("createdAt").asText(),
                        key.path("revokedAt").isNull() ? "-" : key.path("revokedAt").asText());
            }
            return 0;
        }
    }

    @Command(name = "revoke", description = "Revoke a key on every instance.")
    static final class Revoke extends Target implements Callable<Integer> {
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
