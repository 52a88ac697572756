package dev.persona.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.topology.Json;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Where a command reaches a running instance's admin API, and with which admin key. */
class AdminTarget {
    @Option(names = "--url", defaultValue = "${env:PERSONA_URL:-http://127.0.0.1:8080}",
            description = "a running instance (default: $PERSONA_URL or http://127.0.0.1:8080)")
    String url;

    @Option(names = "--admin-key", description = "an admin key (default: $PERSONA_ADMIN_KEY, else $PERSONA_DEMO_API_KEY)")
    String adminKey;

    /** Sends one request and returns the JSON answer; a 4xx or 5xx becomes a {@link CommandFailure} with its message. */
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
