package dev.persona.api;

import dev.persona.cluster.InstanceStatus;
import dev.persona.config.PersonaConfig;
import dev.persona.keys.ApiKey;
import dev.persona.routing.KeyLocator;
import dev.persona.routing.LocalStoreReader;
import dev.persona.topology.Json;
import dev.persona.topology.TopicNames;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * {@code /healthz}: the process answers ({@code degraded} while a background loop retries). {@code /readyz}: Streams
 * is RUNNING, every record-store partition this instance actively hosts answers queries, and no background loop is
 * failing (the API-key follower among them: a revocation must reach an instance before it serves).
 *
 * <p>Answered here, on the thread that parsed the request, before any other handler: a probe never waits for a
 * worker thread, so nothing a client holds (slow bodies, forwards, change streams) can make Kubernetes restart a
 * healthy instance. Without an admin key the answer is the status alone; the failing loops, which name syncs and
 * topics, go to admins only.
 */
final class ProbeHandler extends Handler.Wrapper {
    private final PersonaConfig config;
    private final KeyLocator cluster;
    private final LocalStoreReader reader;
    private final InstanceStatus status;
    private final BooleanSupplier draining;
    private final Authenticator auth;
    private final PortRoles ports;

    ProbeHandler(final PersonaConfig config, final KeyLocator cluster, final LocalStoreReader reader, final InstanceStatus status,
                 final BooleanSupplier draining, final Authenticator auth, final PortRoles ports) {
        this.config = config;
        this.cluster = cluster;
        this.reader = reader;
        this.status = status;
        this.draining = draining;
        this.auth = auth;
        this.ports = ports;
    }

    @Override
    public boolean handle(final Request request, final Response response, final Callback callback) throws Exception {
        final String path = request.getHttpURI().getPath();
        final boolean health = "/healthz".equals(path);
        if (!(health || "/readyz".equals(path)) || !"GET".equals(request.getMethod()) || !ports.serves(Request.getLocalPort(request), path)) {
            return super.handle(request, response, callback);
        }
        final boolean detailed = auth.keyOf(request.getHeaders().get(HttpHeader.AUTHORIZATION)).map(ApiKey::admin).orElse(false);
        final Map<String, Object> answer = new LinkedHashMap<>();
        final int code = health ? health(answer, detailed) : readiness(answer, detailed);
        response.setStatus(code);
        if (code == 503) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
        }
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(Json.mapper().writeValueAsBytes(answer)), callback);
        return true;
    }

    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING;
    }

    /**
     * {@code persona_instance_ready}: 1 when {@code /readyz} would answer 200, else 0, so that an alert sees what a
     * load balancer sees (Prometheus scrapes {@code /metrics}, not {@code /readyz}).
     */
    void bindTo(final MeterRegistry metrics) {
        Gauge.builder("persona.instance.ready", this, probes -> probes.readiness(new LinkedHashMap<>(), false) == 200 ? 1.0 : 0.0)
                .description("1 when /readyz answers 200").register(metrics);
    }

    private int health(final Map<String, Object> answer, final boolean detailed) {
        final Map<String, String> problems = status.problems();
        answer.put("status", problems.isEmpty() ? "ok" : "degraded");
        if (detailed && !problems.isEmpty()) {
            answer.put("problems", problems);
        }
        return 200;
    }

    private int readiness(final Map<String, Object> answer, final boolean detailed) {
        if (draining.getAsBoolean()) {
            answer.put("status", "draining");
            answer.put("streams", cluster.state());
            return 503;
        }
        final Map<String, String> problems = new LinkedHashMap<>(status.problems());
        if (!auth.keysCurrent()) {
            problems.put("api-keys", "key changes not confirmed for past http.maxKeyStaleness: every key is refused");
        }
        final boolean ready = queryable() && problems.isEmpty();
        answer.put("status", ready ? "ready" : "not_ready");
        answer.put("streams", cluster.state());
        if (detailed && !problems.isEmpty()) {
            answer.put("problems", problems);
        }
        return ready ? 200 : 503;
    }

    private boolean queryable() {
        return cluster.running() && config.collections().stream()
                .allMatch(c -> config.syncsOf(c.name()).isEmpty()
                        || reader.isQueryable(TopicNames.recordStore(c), status.activePartitions(TopicNames.recordStore(c))));
    }
}
