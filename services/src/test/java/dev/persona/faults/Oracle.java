package dev.persona.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.topology.Json;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Compares every record over the API with what the sources say, field by field: present records equal, absent ones
 * missing (404), and each record found by its email (the secondary index) the same as by its id.
 */
final class Oracle {
    private static final int BATCH = 1_000;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /**
     * The differences, described; empty when the API agrees with the sources.
     *
     * @param ignored fields of the answers not compared (what a sync the oracle does not model adds)
     */
    List<String> differences(final Map<Long, JsonNode> expected, final int port, final java.util.Set<String> ignored)
            throws IOException, InterruptedException {
        final List<String> differences = new ArrayList<>();
        final List<Long> ids = new ArrayList<>(expected.keySet());
        for (int from = 0; from < ids.size(); from += BATCH) {
            final List<Long> chunk = ids.subList(from, Math.min(ids.size(), from + BATCH));
            final ArrayNode asked = Json.mapper().createArrayNode();
            chunk.forEach(id -> asked.add(Long.toString(id)));
            final JsonNode answer = batch(port, Json.mapper().createObjectNode().set("ids", asked));
            for (final long id : chunk) {
                final JsonNode actual = without(answer.path("records").get(Long.toString(id)), ignored);
                final JsonNode wanted = expected.get(id);
                if (wanted == null && actual != null) {
                    differences.add(id + ": deleted everywhere but answered " + actual);
                } else if (wanted != null && actual == null) {
                    differences.add(id + ": expected " + wanted + " but " + (contains(answer.path("unavailable"), id) ? "unavailable" : "missing"));
                } else if (wanted != null && !wanted.equals(actual)) {
                    differences.add(id + ": expected " + wanted + " but got " + actual);
                }
            }
        }
        final List<JsonNode> withEmail = expected.values().stream().filter(r -> r != null && r.hasNonNull("email")).toList();
        for (int from = 0; from < withEmail.size(); from += BATCH) {
            final List<JsonNode> chunk = withEmail.subList(from, Math.min(withEmail.size(), from + BATCH));
            final ArrayNode asked = Json.mapper().createArrayNode();
            chunk.forEach(r -> asked.add(r.get("email").asText()));
            final ObjectNode request = Json.mapper().createObjectNode().put("index", "email");
            request.set("ids", asked);
            final JsonNode answer = batch(port, request);
            for (final JsonNode wanted : chunk) {
                final JsonNode actual = without(answer.path("records").get(wanted.get("email").asText()), ignored);
                if (!wanted.equals(actual)) {
                    differences.add("email " + wanted.get("email").asText() + ": expected " + wanted + " but got " + actual);
                }
            }
        }
        return differences;
    }

    private static JsonNode without(final JsonNode record, final java.util.Set<String> ignored) {
        if (record == null || ignored.isEmpty() || !record.isObject()) {
            return record;
        }
        final ObjectNode copy = record.deepCopy();
        copy.remove(ignored);
        return copy;
    }

    private static boolean contains(final JsonNode array, final long id) {
        for (final JsonNode item : array) {
            if (item.asText().equals(Long.toString(id))) {
                return true;
            }
        }
        return false;
    }

    private JsonNode batch(final int port, final ObjectNode body) throws IOException, InterruptedException {
        final HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/v1/collections/people/records/batch"))
                .header("Authorization", "Bearer " + PersonaNodes.ADMIN).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("batch lookup answered " + response.statusCode() + ": " + response.body());
        }
        return Json.mapper().readTree(response.body());
    }
}
