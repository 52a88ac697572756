package dev.persona.api;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;

/**
 * {@code persona_http_requests_seconds}: count and latency histogram of requests per route (the path template,
 * never the ids in it), method and status.
 */
final class HttpMetrics {
    private static final String START = "persona.start";

    private final MeterRegistry registry;

    HttpMetrics(final MeterRegistry registry) {
        this.registry = registry;
    }

    void register(final RoutesConfig routes) {
        routes.before(ctx -> ctx.attribute(START, System.nanoTime()));
        routes.after(this::record);
    }

    private void record(final Context ctx) {
        final Long start = ctx.attribute(START);
        if (start == null) {
            return;
        }
        final Endpoint endpoint = ctx.endpoints().matchedHttpEndpoint();
        Timer.builder("persona.http.requests")
                .description("HTTP requests by route, method and status")
                .tag("route", endpoint == null ? "unmatched" : endpoint.path)
                .tag("method", ctx.method().name())
                .tag("status", Integer.toString(ctx.statusCode()))
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry)
                .record(Duration.ofNanos(System.nanoTime() - start));
    }
}
