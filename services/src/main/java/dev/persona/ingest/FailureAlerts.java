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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tells a sync's webhook (Slack-compatible {@code {"text": ...}}) when the sync starts failing, again every
 * {@link SyncConfig#alertReminder()} while it keeps failing, and when it recovers: state changes, not retries. A
 * CDC sync retrying with backoff used to post on every retry.
 */
public final class FailureAlerts {
    private static final Logger LOG = LoggerFactory.getLogger(FailureAlerts.class);

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Clock clock;
    private final Map<String, Failing> failing = new ConcurrentHashMap<>();

    public FailureAlerts(final Clock clock) {
        this.clock = clock;
    }

    /** A run of the sync failed: alerts if the sync was healthy, or if the last alert is older than the reminder. */
    public void runFailed(final SyncConfig sync, final SyncRun run) {
        final Instant now = clock.instant();
        final Failing before = failing.get(sync.id());
        if (before == null) {
            failing.put(sync.id(), new Failing(now, now, 1));
            post(sync, ":warning: Persona sync `" + sync.id() + "` (collection `" + sync.collection() + "`) is failing on "
                    + run.instance() + ": " + run.error());
            return;
        }
        final Failing still = before.again();
        if (Duration.between(before.lastAlert(), now).compareTo(sync.alertReminder()) >= 0) {
            failing.put(sync.id(), still.alertedAt(now));
            post(sync, ":warning: Persona sync `" + sync.id() + "` is still failing on " + run.instance() + ", since "
                    + before.since() + " (" + still.failures() + " failed attempts): " + run.error());
        } else {
            failing.put(sync.id(), still);
        }
    }

    /** The sync works again (a run succeeded, or a CDC batch committed): alerts if it was failing. */
    public void runSucceeded(final SyncConfig sync, final String instance) {
        final Failing was = failing.remove(sync.id());
        if (was != null) {
            post(sync, ":white_check_mark: Persona sync `" + sync.id() + "` recovered on " + instance + " after failing since "
                    + was.since() + " (" + was.failures() + " failed attempts)");
        }
    }

    /** Whether the sync is failing now, as far as alerts go. */
    public boolean isFailing(final String syncId) {
        return failing.containsKey(syncId);
    }

    private void post(final SyncConfig sync, final String text) {
        if (sync.webhook().isEmpty()) {
            return;
        }
        final ObjectNode message = Json.mapper().createObjectNode().put("text", text);
        final HttpRequest request = HttpRequest.newBuilder(URI.create(sync.webhook().get())).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(message.toString())).build();
        client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
            if (error != null) {
                LOG.warn("Cannot post an alert of sync {} to its webhook: {}", sync.id(), error.toString());
            } else if (response.statusCode() >= 300) {
                LOG.warn("The webhook of sync {} answered {}", sync.id(), response.statusCode());
            }
        });
    }

    private record Failing(Instant since, Instant lastAlert, long failures) {
        Failing again() {
            return new Failing(since, lastAlert, failures + 1);
        }

        Failing alertedAt(final Instant time) {
            return new Failing(since, time, failures);
        }
    }
}
