package dev.persona.ingest;

import dev.persona.config.AlertChannel;
import dev.persona.config.SyncConfig;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tells a sync's alert channels when the sync starts failing, again every {@link SyncConfig#alertReminder()} while it
 * keeps failing, and when it recovers: state changes, not retries (a CDC sync retrying with backoff used to post on
 * every retry). Each channel gets its own form ({@link AlertMessages}): Slack-compatible text, PagerDuty Events v2
 * trigger and resolve deduplicated per sync, or a generic JSON event.
 */
public final class FailureAlerts {
    private static final Logger LOG = LoggerFactory.getLogger(FailureAlerts.class);

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Clock clock;
    private final Map<String, Failing> failing = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<?>> sending = new ConcurrentHashMap<>();

    public FailureAlerts(final Clock clock) {
        this.clock = clock;
    }

    /** A run of the sync failed: alerts if the sync was healthy, or if the last alert is older than the reminder. */
    public void runFailed(final SyncConfig sync, final SyncRun run) {
        final Instant now = clock.instant();
        final Failing before = failing.get(sync.id());
        if (before == null) {
            failing.put(sync.id(), new Failing(now, now, 1));
            post(sync, new AlertMessages.Event(AlertMessages.Kind.FAILING, sync, run.instance(), run.error(), now, 1, now));
            return;
        }
        final Failing still = before.again();
        if (Duration.between(before.lastAlert(), now).compareTo(sync.alertReminder()) >= 0) {
            failing.put(sync.id(), still.alertedAt(now));
            post(sync, new AlertMessages.Event(AlertMessages.Kind.STILL_FAILING, sync, run.instance(), run.error(), before.since(),
                    still.failures(), now));
        } else {
            failing.put(sync.id(), still);
        }
    }

    /** The sync works again (a run succeeded, or a CDC batch committed): alerts if it was failing. */
    public void runSucceeded(final SyncConfig sync, final String instance) {
        final Failing was = failing.remove(sync.id());
        if (was != null) {
            post(sync, new AlertMessages.Event(AlertMessages.Kind.RECOVERED, sync, instance, null, was.since(), was.failures(),
                    clock.instant()));
        }
    }

    /** Whether the sync is failing now, as far as alerts go. */
    public boolean isFailing(final String syncId) {
        return failing.containsKey(syncId);
    }

    private void post(final SyncConfig sync, final AlertMessages.Event event) {
        for (final AlertChannel channel : sync.alerts()) {
            final AlertMessages.Message message = AlertMessages.of(channel, event);
            final HttpRequest request = HttpRequest.newBuilder(URI.create(message.url())).timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(message.body())).build();
            // In order per sync and channel: a resolve that overtook the next trigger would close PagerDuty's new incident.
            sending.compute(sync.id() + " " + message.channel(), (key, previous) -> (previous == null ? CompletableFuture.completedFuture(null) : previous.handle((done, failed) -> null))
                    .thenCompose(ignored -> client.sendAsync(request, HttpResponse.BodyHandlers.discarding()))
                    .whenComplete((response, error) -> {
                        if (error != null) {
                            LOG.warn("Cannot send an alert of sync {} to its {} channel: {}", sync.id(), message.channel(), error.toString());
                        } else if (response.statusCode() >= 300) {
                            LOG.warn("The {} channel of sync {} answered {}", message.channel(), sync.id(), response.statusCode());
                        }
                    }));
        }
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
