package dev.persona.config;

/**
 * Where a sync's state changes (starts failing, still failing, recovered) are sent.
 */
public sealed interface AlertChannel {
    /** PagerDuty's Events API v2 endpoint. */
    String PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

    /** A Slack-compatible incoming webhook: {@code {"text": ...}}. */
    record Slack(String url) implements AlertChannel {
    }

    /**
     * PagerDuty Events API v2: a {@code trigger} when the sync starts failing (and as a reminder, deduplicated by the
     * sync), a {@code resolve} when it recovers.
     *
     * @param routingKey the integration key of a PagerDuty service (from the environment: {@code ${PD_ROUTING_KEY}})
     * @param url        the Events API endpoint; {@link #PAGERDUTY_EVENTS_URL} unless given (EU accounts, proxies)
     */
    record PagerDuty(String routingKey, String url) implements AlertChannel {
    }

    /**
     * A generic JSON webhook: {@code {"event": "sync.failing" | "sync.still_failing" | "sync.recovered", "sync",
     * "collection", "instance", "error", "since", "failures", "at"}}.
     */
    record Webhook(String url) implements AlertChannel {
    }
}
