package dev.persona.ingest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.config.AlertChannel;
import dev.persona.config.SyncConfig;
import dev.persona.topology.Json;

import java.time.Instant;

/** What a sync's state change looks like on each kind of alert channel. */
final class AlertMessages {
    private AlertMessages() {
    }

    enum Kind {
        FAILING("sync.failing"), STILL_FAILING("sync.still_failing"), RECOVERED("sync.recovered");

        private final String wireName;

        Kind(final String wireName) {
            this.wireName = wireName;
        }
    }

    /**
     * A state change of a sync.
     *
     * @param error    the newest run's error; null on recovery
     * @param since    when it started failing
     * @param failures failed attempts so far
     * @param at       now
     */
    record Event(Kind kind, SyncConfig sync, String instance, String error, Instant since, long failures, Instant at) {
    }

    /** A request body for one channel. */
    record Message(String channel, String url, String body) {
    }

    static Message of(final AlertChannel channel, final Event event) {
        if (channel instanceof AlertChannel.Slack slack) {
            return new Message("slack", slack.url(), Json.mapper().createObjectNode().put("text", text(event)).toString());
        }
        if (channel instanceof AlertChannel.PagerDuty pagerDuty) {
            return new Message("pagerduty", pagerDuty.url(), pagerDuty(pagerDuty, event).toString());
        }
        final AlertChannel.Webhook webhook = (AlertChannel.Webhook) channel;
        return new Message("webhook", webhook.url(), generic(event).toString());
    }

    private static String text(final Event event) {
        final SyncConfig sync = event.sync();
        return switch (event.kind()) {
            case FAILING -> ":warning: Persona sync `" + sync.id() + "` (collection `" + sync.collection() + "`) is failing on "
                    + event.instance() + ": " + event.error();
            case STILL_FAILING -> ":warning: Persona sync `" + sync.id() + "` is still failing on " + event.instance() + ", since "
                    + event.since() + " (" + event.failures() + " failed attempts): " + event.error();
            case RECOVERED -> ":white_check_mark: Persona sync `" + sync.id() + "` recovered on " + event.instance()
                    + " after failing since " + event.since() + " (" + event.failures() + " failed attempts)";
        };
    }

    private static ObjectNode generic(final Event event) {
        final ObjectNode body = Json.mapper().createObjectNode();
        body.put("event", event.kind().wireName);
        body.put("sync", event.sync().id());
        body.put("collection", event.sync().collection());
        body.put("instance", event.instance());
        body.put("error", event.error());
        body.put("since", event.since().toString());
        body.put("failures", event.failures());
        body.put("at", event.at().toString());
        return body;
    }

    /** Events API v2: one incident per sync (its dedup key), triggered and reminded while failing, resolved on recovery. */
    private static ObjectNode pagerDuty(final AlertChannel.PagerDuty channel, final Event event) {
        final ObjectNode body = Json.mapper().createObjectNode();
        body.put("routing_key", channel.routingKey());
        body.put("dedup_key", "persona-sync-" + event.sync().id());
        if (event.kind() == Kind.RECOVERED) {
            body.put("event_action", "resolve");
            return body;
        }
        body.put("event_action", "trigger");
        final ObjectNode payload = body.putObject("payload");
        payload.put("summary", "Persona sync " + event.sync().id() + " is failing: " + event.error());
        payload.put("source", event.instance());
        payload.put("severity", "error");
        payload.put("timestamp", event.at().toString());
        payload.put("component", "persona");
        payload.put("group", event.sync().collection());
        payload.put("class", "sync-failure");
        final ObjectNode details = payload.putObject("custom_details");
        details.put("sync", event.sync().id());
        details.put("since", event.since().toString());
        details.put("failures", event.failures());
        return body;
    }
}
