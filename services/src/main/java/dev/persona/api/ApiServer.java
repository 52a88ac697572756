package dev.persona.api;

import dev.persona.config.PersonaConfig;
import dev.persona.keys.ApiKeyStore;
import dev.persona.routing.RecordFinder;
import dev.persona.routing.StoredValues;
import dev.persona.topology.Json;
import io.javalin.Javalin;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The HTTP API of one instance. Errors become JSON {@code {"error", "message"}} here and nowhere else; no stack
 * trace ever reaches a response.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    /** Bodies larger than this are refused with 413. */
    public static final long MAX_REQUEST_BYTES = 1_000_000;

    private final Javalin app;

    private ApiServer(final Javalin app) {
        this.app = app;
    }

    /**
     * Starts the API on {@code host:port}, serving {@code context}.
     */
    public static ApiServer start(final String host, final int port, final ApiContext context) {
        final PersonaConfig config = context.config();
        final KafkaStreams streams = context.streams();
        final ApiKeyStore keys = context.keys();
        final StoredValues lookup = context.values();
        final PrometheusMeterRegistry metrics = context.metrics();
        final Authenticator auth = new Authenticator(keys);
        final RecordFinder finder = new RecordFinder(lookup);
        final HttpMetrics httpMetrics = new HttpMetrics(metrics);
        final FastLookupHandler fast = new FastLookupHandler(config, finder, auth, httpMetrics);
        final Javalin app = Javalin.create(cfg -> {
            // Javalin attaches its servlet context inside the wrappers already on the server: plain record lookups
            // are answered before it.
            cfg.jetty.modifyServer(server -> server.insertHandler(fast));
            cfg.jetty.threadPool = threadPool();
            cfg.startup.showJavalinBanner = false;
            cfg.jsonMapper(new JavalinJackson(Json.mapper(), false));
            cfg.http.maxRequestSize = MAX_REQUEST_BYTES;
            cfg.http.prefer405over404 = true;
            cfg.jetty.addConnector((server, http) -> connector(server, http, host, port));
            httpMetrics.register(cfg.routes);
            // Prometheus scrapes without a key: the figures hold no record data and no secrets.
            cfg.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
            new RecordRoutes(config, finder, auth, Clock.systemUTC()).register(cfg.routes);
            new ActivationRoutes(config, finder, auth).register(cfg.routes);
            new InternalRoutes(context.stores(), lookup, auth).register(cfg.routes);
            new AdminRoutes(config, keys, auth).register(cfg.routes);
            new SyncRoutes(config, context.ingest(), auth).register(cfg.routes);
            new ClusterRoutes(streams, context.status(), context.peers(), auth).register(cfg.routes);
            new HealthRoutes(config, streams, context.reader(), context.status(), context.draining()).register(cfg.routes);
            cfg.routes.exception(ApiException.class, (e, ctx) -> {
                if (e.retryAfterSeconds() != null) {
                    ctx.header("Retry-After", Integer.toString(e.retryAfterSeconds()));
                }
                ctx.status(e.status()).json(error(e.code(), e.getMessage()));
            });
            cfg.routes.exception(HttpResponseException.class, (e, ctx) ->
                    ctx.status(e.getStatus()).json(error(codeOf(e.getStatus()), e.getMessage())));
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                LOG.error("Unexpected error answering {} {}", ctx.method(), ctx.path(), e);
                ctx.status(500).json(error("internal_error", "the request failed unexpectedly; see the server log"));
            });
            cfg.routes.error(404, ctx -> {
                if (ctx.result() == null) {
                    ctx.json(error("not_found", "no such endpoint: " + ctx.method() + " " + ctx.path()));
                }
            });
            cfg.routes.error(405, ctx -> ctx.json(error("method_not_allowed", ctx.method() + " is not allowed on " + ctx.path())));
            cfg.routes.error(413, ctx -> ctx.json(error("body_too_large", "request bodies are limited to " + MAX_REQUEST_BYTES + " bytes")));
        }).start();
        return new ApiServer(app);
    }

    /**
     * Jetty's worker threads: lookups never block on I/O of their own except a forward to a peer, so a few
     * threads per core serve any number of keep-alive connections; more only add context switches.
     * {@code PERSONA_HTTP_THREADS} sets the maximum (default 16).
     */
    private static QueuedThreadPool threadPool() {
        final int max = threadCount(System.getenv(), "PERSONA_HTTP_THREADS", 16);
        final QueuedThreadPool pool = new QueuedThreadPool(max, Math.min(8, max), 60_000);
        pool.setName("persona-http");
        return pool;
    }

    /**
     * The HTTP connector. Plain record lookups run on the selector thread that parsed them ({@link FastLookupHandler}),
     * so there is one selector per core, where Jetty's default is one per two cores. {@code PERSONA_HTTP_SELECTORS}
     * sets the number.
     */
    private static ServerConnector connector(final Server server, final HttpConfiguration http, final String host, final int port) {
        final int selectors = threadCount(System.getenv(), "PERSONA_HTTP_SELECTORS", Runtime.getRuntime().availableProcessors());
        final ServerConnector connector = new ServerConnector(server, 1, selectors, new HttpConnectionFactory(http));
        connector.setHost(host);
        connector.setPort(port);
        return connector;
    }

    /**
     * A thread count from the environment.
     *
     * @throws IllegalArgumentException naming the variable, when it is set to anything but a positive whole number
     */
    static int threadCount(final Map<String, String> environment, final String variable, final int otherwise) {
        final String value = environment.get(variable);
        if (value == null || value.isBlank()) {
            return otherwise;
        }
        try {
            final int count = Integer.parseInt(value.trim());
            if (count > 0) {
                return count;
            }
        } catch (final NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(variable + " must be a positive whole number of threads, found '" + value
                + "'; unset it for the default (" + otherwise + ")");
    }

    /** The port the API listens on. */
    public int port() {
        return app.port();
    }

    private static Map<String, Object> error(final String code, final String message) {
        final Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", code);
        body.put("message", message);
        return body;
    }

    private static String codeOf(final int status) {
        return switch (status) {
            case 400 -> "bad_request";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 413 -> "body_too_large";
            default -> "http_" + status;
        };
    }

    @Override
    public void close() {
        app.stop();
    }
}
