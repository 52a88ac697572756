package dev.persona.api;

import dev.persona.config.PersonaConfig;
import dev.persona.config.SourceConfig;
import dev.persona.config.SyncConfig;
import dev.persona.ingest.IngestService;
import dev.persona.ingest.SyncRun;
import dev.persona.kafka.TopicTail;
import dev.persona.topology.Json;
import dev.persona.topology.RunSamples;
import dev.persona.topology.TopicNames;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Optional;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /admin/syncs}: each sync with its last run, a sync's runs, one run with a sample of what its changes did
 * (the run debugger), and run requests (admin keys only).
 */
final class SyncRoutes {
    /** Offsets of the samples topic looked through for one run's samples. */
    static final int SAMPLE_WINDOW = 200_000;
    private static final java.time.Duration SAMPLE_TIMEOUT = java.time.Duration.ofSeconds(5);

    private final PersonaConfig config;
    private final IngestService ingest;
    private final Authenticator auth;
    private final TopicTail tail;

    SyncRoutes(final PersonaConfig config, final IngestService ingest, final Authenticator auth, final TopicTail tail) {
        this.config = config;
        this.ingest = ingest;
        this.auth = auth;
        this.tail = tail;
    }

    void register(final RoutesConfig routes) {
        routes.get("/admin/syncs", this::list);
        routes.get("/admin/syncs/{id}/runs", this::runs);
        routes.get("/admin/syncs/{id}/runs/{run}", this::run);
        routes.post("/admin/syncs/{id}/runs", this::requestRun);
        routes.post("/admin/syncs/{id}/cancel", this::requestCancel);
    }

    private void list(final Context ctx) {
        auth.requireAdmin(ctx);
        final List<Map<String, Object>> syncs = config.syncs().stream().map(sync -> {
            final Map<String, Object> view = new LinkedHashMap<>();
            view.put("id", sync.id());
            view.put("collection", sync.collection());
            view.put("source", source(sync.source()));
            view.put("runningHere", ingest.owned().contains(sync.id()));
            view.put("lastRun", ingest.history().last(sync.id()).map(SyncRoutes::view).orElse(null));
            return view;
        }).toList();
        ctx.json(Map.of("syncs", syncs));
    }

    private void runs(final Context ctx) {
        auth.requireAdmin(ctx);
        final SyncConfig sync = sync(ctx.pathParam("id"));
        ctx.json(Map.of("sync", sync.id(), "runs", ingest.history().runs(sync.id()).stream().map(SyncRoutes::view).toList()));
    }

    /**
     * One run and a sample of its changes (at most {@link RunSamples#PER_RUN}): for each, the record's key, the
     * operation, the fields whose values changed, and their values before and after, as the merge saw them.
     */
    private void run(final Context ctx) {
        auth.requireAdmin(ctx);
        final SyncConfig sync = sync(ctx.pathParam("id"));
        final String id = ctx.pathParam("run");
        final SyncRun run = ingest.history().runs(sync.id()).stream().filter(r -> r.id().equals(id)).findFirst()
                .orElseThrow(() -> ApiException.notFound("run_not_found", "no run '" + id + "' of sync '" + sync.id()
                        + "' in its history (the newest 100 runs are kept); GET /admin/syncs/" + sync.id() + "/runs lists them"));
        final byte[] prefix = (id + "/").getBytes(StandardCharsets.UTF_8);
        final List<JsonNode> changes = new ArrayList<>();
        for (final ConsumerRecord<byte[], byte[]> record : tail.newest(new TopicNames(config.kafka()).runSamples(), Optional.empty(),
                SAMPLE_WINDOW, RunSamples.PER_RUN, r -> r.value() != null && r.key() != null && startsWith(r.key(), prefix), SAMPLE_TIMEOUT)) {
            try {
                changes.add(Json.mapper().readTree(record.value()));
            } catch (final java.io.IOException e) {
                // Written by Persona's merge step: unreadable only if corrupted; left out.
            }
        }
        final Map<String, Object> view = view(run);
        view.put("sampleLimit", RunSamples.PER_RUN);
        view.put("changes", changes);
        ctx.json(view);
    }

    private static boolean startsWith(final byte[] key, final byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    private void requestRun(final Context ctx) {
        auth.requireAdmin(ctx);
        final SyncConfig sync = sync(ctx.pathParam("id"));
        final boolean full = ctx.bodyAsBytes().length > 0 && Requests.bool(Requests.body(ctx), "full");
        try {
            ingest.requestRun(sync, full);
        } catch (final IngestService.Refused e) {
            throw ApiException.badRequest("not_a_query_sync", e.getMessage());
        }
        ctx.status(202).json(Map.of("sync", sync.id(), "full", full, "status", "requested"));
    }

    private void requestCancel(final Context ctx) {
        auth.requireAdmin(ctx);
        final SyncConfig sync = sync(ctx.pathParam("id"));
        try {
            ingest.requestCancel(sync);
        } catch (final IngestService.Refused e) {
            throw ApiException.badRequest("not_a_query_sync", e.getMessage());
        }
        ctx.status(202).json(Map.of("sync", sync.id(), "status", "cancel_requested"));
    }

    private SyncConfig sync(final String id) {
        return config.sync(id).orElseThrow(() -> ApiException.notFound("sync_not_found", "no sync '" + id + "'"));
    }

    private static Map<String, Object> source(final SourceConfig source) {
        final Map<String, Object> view = new LinkedHashMap<>();
        view.put("type", source.type());
        source.jdbcUrl().ifPresent(url -> view.put("connection", redact(url)));
        source.on(cdc -> view.put("table", cdc.table()), query -> view.put("schedule", query.schedule()), topic -> {
            view.put("topic", topic.topic());
            return view.put("format", topic.format().configName());
        });
        return view;
    }

    /** Connection strings may carry passwords; they never leave the instance. */
    static String redact(final String connection) {
        return dev.persona.config.Secrets.masked(connection);
    }

    static Map<String, Object> view(final SyncRun run) {
        final Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", run.id());
        view.put("status", run.status().wireName());
        view.put("trigger", run.trigger().wireName());
        view.put("full", run.full());
        view.put("instance", run.instance());
        view.put("startedAt", Instant.ofEpochMilli(run.startedAt()).toString());
        view.put("endedAt", run.endedAt() == null ? null : Instant.ofEpochMilli(run.endedAt()).toString());
        view.put("rowsRead", run.rowsRead());
        view.put("upserted", run.upserted());
        view.put("deleted", run.deleted());
        view.put("unchanged", run.unchanged());
        view.put("rejected", run.rejected());
        view.put("error", dev.persona.config.Secrets.masked(run.error()));
        return view;
    }
}
