package dev.persona.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.persona.routing.PeerClient;
import dev.persona.cluster.InstanceStatus;
import dev.persona.topology.Json;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import dev.persona.routing.KeyLocator;
import dev.persona.routing.Member;
import org.apache.kafka.streams.state.HostInfo;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * {@code GET /admin/cluster}: every instance of the cluster with its active and standby partitions per store,
 * offset lags and restorations, each reported by the instance itself ({@link PeerClient#STATUS_PATH}).
 */
final class ClusterRoutes {
    private final KeyLocator locator;
    private final InstanceStatus status;
    private final PeerClient peers;
    private final Authenticator auth;

    ClusterRoutes(final KeyLocator locator, final InstanceStatus status, final PeerClient peers, final Authenticator auth) {
        this.locator = locator;
        this.status = status;
        this.peers = peers;
        this.auth = auth;
    }

    void register(final RoutesConfig routes) {
        routes.get(PeerClient.STATUS_PATH, this::local);
        routes.get("/admin/cluster", this::cluster);
    }

    private void local(final Context ctx) {
        auth.requirePeer(ctx);
        auth.answerPeer(ctx, status.report());
    }

    private void cluster(final Context ctx) {
        auth.requireAdmin(ctx);
        final Map<String, CompletableFuture<JsonNode>> reports = new TreeMap<>();
        locator.members().stream().map(Member::host)
                .sorted(Comparator.comparing(HostInfo::host).thenComparingInt(HostInfo::port))
                .forEach(host -> reports.put(host.host() + ":" + host.port(), peers.status(host)));
        final List<JsonNode> instances = new ArrayList<>();
        reports.forEach((host, report) -> {
            final ObjectNode instance = Json.mapper().createObjectNode().put("host", host);
            instance.setAll((ObjectNode) report.join());
            instances.add(instance);
        });
        if (instances.isEmpty()) {
            final ObjectNode alone = Json.mapper().createObjectNode().put("host", ctx.host());
            alone.setAll((ObjectNode) Json.mapper().valueToTree(status.report()));
            instances.add(alone);
        }
        final Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("instances", instances);
        ctx.json(answer);
    }
}
