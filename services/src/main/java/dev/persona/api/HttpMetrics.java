package dev.persona.api;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code persona_http_requests_seconds}: count and latency histogram of requests per route (the path template,
 * never the ids in it), method and status.
 */
final class HttpMetrics {
    private static final String START = "persona.start";

    private final MeterRegistry registry;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

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
        timer(endpoint == null ? "unmatched" : endpoint.path, ctx.method().name(), ctx.statusCode())
                .record(Duration.ofNanos(System.nanoTime() - start));
    }

    /** The timer of one route, method and status (kept: building one per request costs a registry lookup). */
    Timer timer(final String route, final String method, final int status) {
        return timers.computeIfAbsent(route + ' ' + method + ' ' + status, k -> Timer.builder("persona.http.requests")
                .description("HTTP requests by route, method and status")
                .tag("route", route)
                .tag("method", method)
                .tag("status", Integer.toString(status))
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry));
    }
}
