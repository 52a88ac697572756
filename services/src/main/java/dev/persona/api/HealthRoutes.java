package dev.persona.api;

import dev.persona.config.PersonaConfig;
import dev.persona.routing.LocalStoreReader;
import dev.persona.cluster.InstanceStatus;
import dev.persona.topology.TopicNames;
import io.javalin.config.RoutesConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.javalin.http.Context;
import org.apache.kafka.streams.KafkaStreams;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code /healthz}: the process answers ({@code degraded}, with the failing background loops, while one of them
 * retries). {@code /readyz}: Streams is RUNNING, every record-store partition this instance actively hosts answers
 * queries, and no background loop is failing (the API-key follower among them: a revocation must reach an instance
 * before it serves).
 */
final class HealthRoutes {
    private final PersonaConfig config;
    private final KafkaStreams streams;
    private final LocalStoreReader reader;
    private final InstanceStatus status;
    private final java.util.function.BooleanSupplier draining;

    HealthRoutes(final PersonaConfig config, final KafkaStreams streams, final LocalStoreReader reader, final InstanceStatus status,
                 final java.util.function.BooleanSupplier draining) {
        this.config = config;
        this.streams = streams;
        this.reader = reader;
        this.status = status;
        this.draining = draining;
    }

    void register(final RoutesConfig routes) {
        routes.get("/healthz", ctx -> {
            final Map<String, String> problems = status.problems();
            ctx.json(problems.isEmpty() ? Map.of("status", "ok") : Map.of("status", "degraded", "problems", problems));
        });
        routes.get("/readyz", this::ready);
    }

    /**
     * {@code persona_instance_ready}: 1 when {@code /readyz} would answer 200, else 0, so that an alert sees what a
     * load balancer sees (Prometheus scrapes {@code /metrics}, not {@code /readyz}).
     */
    void bindTo(final MeterRegistry metrics) {
        Gauge.builder("persona.instance.ready", this, health -> !health.draining.getAsBoolean() && health.queryable()
                        && health.status.problems().isEmpty() ? 1.0 : 0.0)
                .description("1 when /readyz answers 200").register(metrics);
    }

    private boolean queryable() {
        return streams.state() == KafkaStreams.State.RUNNING && config.collections().stream()
                .allMatch(c -> config.syncsOf(c.name()).isEmpty()
                        || reader.isQueryable(TopicNames.recordStore(c), status.activePartitions(TopicNames.recordStore(c))));
    }

    private void ready(final Context ctx) {
        final Map<String, Object> answer = new LinkedHashMap<>();
        if (draining.getAsBoolean()) {
            answer.put("status", "draining");
            answer.put("streams", streams.state().name());
            ctx.status(503).header("Retry-After", "1").json(answer);
            return;
        }
        final boolean queryable = queryable();
        final Map<String, String> problems = status.problems();
        final boolean ready = queryable && problems.isEmpty();
        answer.put("status", ready ? "ready" : "not_ready");
        answer.put("streams", streams.state().name());
        if (!problems.isEmpty()) {
            answer.put("problems", problems);
        }
        if (!ready) {
            ctx.status(503).header("Retry-After", "1");
        }
        ctx.json(answer);
    }
}
