package dev.persona.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.persona.runtime.InstanceStatus;
import dev.persona.routing.PeerClient;
import dev.persona.topology.Json;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * {@code GET /admin/cluster}: every instance of the cluster with its active and standby partitions per store,
 * offset lags and restorations, each reported by the instance itself ({@code GET /internal/v1/status}).
 */
final class ClusterRoutes {
    private final KafkaStreams streams;
    private final InstanceStatus status;
    private final Authenticator auth;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();

    ClusterRoutes(final KafkaStreams streams, final InstanceStatus status, final Authenticator auth) {
        this.streams = streams;
        this.status = status;
        this.auth = auth;
    }

    void register(final RoutesConfig routes) {
        routes.get("/internal/v1/status", this::local);
        routes.get("/admin/cluster", this::cluster);
    }

    private void local(final Context ctx) {
        auth.requireAdmin(ctx);
        ctx.json(status.report());
    }

    private void cluster(final Context ctx) {
        auth.requireAdmin(ctx);
        final TreeSet<String> hosts = new TreeSet<>();
        for (final StreamsMetadata member : streams.metadataForAllStreamsClients()) {
            final HostInfo host = member.hostInfo();
            hosts.add(host.host() + ":" + host.port());
        }
        final String self = ctx.host();
        final Map<String, CompletableFuture<Map<String, Object>>> reports = new LinkedHashMap<>();
        for (final String host : hosts) {
            reports.put(host, ask(host, ctx.header("Authorization")));
        }
        final List<Map<String, Object>> instances = new ArrayList<>();
        reports.forEach((host, report) -> {
            final Map<String, Object> instance = new LinkedHashMap<>();
            instance.put("host", host);
            instance.putAll(report.join());
            instances.add(instance);
        });
        if (instances.isEmpty()) {
            final Map<String, Object> alone = new LinkedHashMap<>();
            alone.put("host", self);
            alone.putAll(status.report());
            instances.add(alone);
        }
        ctx.json(Map.of("instances", instances));
    }

    private CompletableFuture<Map<String, Object>> ask(final String host, final String authorization) {
        final HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + host + "/internal/v1/status"))
                .timeout(Duration.ofSeconds(2)).header("Authorization", authorization == null ? "" : authorization)
                .header(PeerClient.HOP_HEADER, "cluster-view").build();
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).thenApply(response -> {
            if (response.statusCode() != 200) {
                return Map.<String, Object>of("error", "answered " + response.statusCode());
            }
            try {
                final JsonNode body = Json.mapper().readTree(response.body());
                @SuppressWarnings("unchecked")
                final Map<String, Object> report = Json.mapper().convertValue(body, Map.class);
                return report;
            } catch (final IOException e) {
                return Map.<String, Object>of("error", "unreadable status");
            }
        }).exceptionally(e -> Map.of("error", "unreachable"));
    }
}
