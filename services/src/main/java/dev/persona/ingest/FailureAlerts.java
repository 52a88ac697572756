package dev.persona.ingest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.config.SyncConfig;
import dev.persona.topology.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Posts a Slack-compatible message ({@code {"text": ...}}) to a sync's webhook when one of its runs fails. */
public final class FailureAlerts {
    private static final Logger LOG = LoggerFactory.getLogger(FailureAlerts.class);

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public void runFailed(final SyncConfig sync, final SyncRun run) {
        if (sync.webhook().isEmpty()) {
            return;
        }
        final ObjectNode message = Json.mapper().createObjectNode()
                .put("text", ":warning: Persona sync `" + sync.id() + "` (collection `" + sync.collection() + "`) failed on "
                        + run.instance() + ": " + run.error());
        final HttpRequest request = HttpRequest.newBuilder(URI.create(sync.webhook().get())).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(message.toString())).build();
        client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
            if (error != null) {
                LOG.warn("Cannot post the failure of sync {} to its webhook: {}", sync.id(), error.toString());
            } else if (response.statusCode() >= 300) {
                LOG.warn("The webhook of sync {} answered {}", sync.id(), response.statusCode());
            }
        });
    }
}
