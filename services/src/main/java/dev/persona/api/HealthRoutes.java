package dev.persona.api;

import dev.persona.config.PersonaConfig;
import dev.persona.routing.LocalStoreReader;
import dev.persona.runtime.InstanceStatus;
import dev.persona.topology.TopicNames;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import org.apache.kafka.streams.KafkaStreams;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code /healthz}: the process answers. {@code /readyz}: Streams is RUNNING and every record-store partition this
 * instance actively hosts answers queries.
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
        routes.get("/healthz", ctx -> ctx.json(Map.of("status", "ok")));
        routes.get("/readyz", this::ready);
    }

    private void ready(final Context ctx) {
        final Map<String, Object> answer = new LinkedHashMap<>();
        if (draining.getAsBoolean()) {
            answer.put("status", "draining");
            answer.put("streams", streams.state().name());
            ctx.status(503).header("Retry-After", "1").json(answer);
            return;
        }
        final boolean running = streams.state() == KafkaStreams.State.RUNNING;
        final boolean queryable = running && config.collections().stream()
                .allMatch(c -> config.syncsOf(c.name()).isEmpty()
                        || reader.isQueryable(TopicNames.recordStore(c), status.activePartitions(TopicNames.recordStore(c))));
        answer.put("status", queryable ? "ready" : "not_ready");
        answer.put("streams", streams.state().name());
        if (!queryable) {
            ctx.status(503).header("Retry-After", "1");
        }
        ctx.json(answer);
    }
}
