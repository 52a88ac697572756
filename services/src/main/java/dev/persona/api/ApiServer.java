package dev.persona.api;

import dev.persona.changes.ChangeFeedUnavailableException;
import dev.persona.changes.TooManyStreamsException;
import dev.persona.config.PersonaConfig;
import dev.persona.purge.PurgeFailedException;
import dev.persona.keys.ApiKeyStore;
import dev.persona.routing.RecordFinder;
import dev.persona.routing.KeyLocator;
import dev.persona.routing.StoredValues;
import dev.persona.topology.Json;
import io.javalin.Javalin;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import dev.persona.tls.ServerTls;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
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
    /** What is read and discarded of a body no route read, so that the client gets its answer (a 413 included). */
    static final long MAX_DRAINED_BYTES = 16 * MAX_REQUEST_BYTES;
    /** The request line and headers together may take this many bytes; more is a 431 (or 414 for the URI). */
    static final int MAX_HEADER_BYTES = 16_384;

    /** Slower bodies fail their read (408): a client may not hold a worker thread by trickling a body in. */
    static final long MIN_BODY_BYTES_PER_SECOND = 1_024;
    /** A connection's first request head must be complete this soon after it opens, or the connection is closed. */
    static final Duration FIRST_REQUEST_WITHIN = Duration.ofSeconds(10);

    private final Javalin app;

    private ApiServer(final Javalin app) {
        this.app = app;
    }

    /**
     * Starts the API on {@code host:port}, serving {@code context}.
     */
    public static ApiServer start(final String host, final int port, final ApiContext context) {
        final PersonaConfig config = context.config();
        final KeyLocator locator = context.locator();
        final ApiKeyStore keys = context.keys();
        final StoredValues lookup = context.values();
        final PrometheusMeterRegistry metrics = context.metrics();
        final Authenticator auth = new Authenticator(config, keys, new RateLimits(config.http().rateLimit(), metrics), context.peerAuth());
        final RecordFinder finder = new RecordFinder(lookup, config.http().moveWait());
        final HttpMetrics httpMetrics = new HttpMetrics(metrics);
        final PortRoles ports = new PortRoles(config.http().managementPort());
        final ApiContract contract = ApiContract.load();
        final FastLookupHandler fast = new FastLookupHandler(config, finder, auth, httpMetrics, ports);
        final InternalRoutes internal = new InternalRoutes(context.stores(), lookup, auth);
        io.micrometer.core.instrument.Gauge.builder("persona.api.keys.staleness", keys, k -> k.sinceCaughtUp().toMillis() / 1000.0)
                .baseUnit("seconds").description("how long since this instance last confirmed it holds every API key change")
                .register(metrics);
        final ProbeHandler probes = new ProbeHandler(config, locator, context.reader(), context.status(), context.draining(), auth, ports);
        final SslContextFactory.Server tls = context.tls().map(ServerTls::contextFactory).orElse(null);
        final Javalin app = Javalin.create(cfg -> {
            // Javalin attaches its servlet context inside the wrappers already on the server: plain record lookups
            // are answered before it.
            cfg.jetty.modifyServer(server -> {
                // From the outside in: probes (never wait for a worker), the credential gate (no body read without
                // credentials), the relay of an instance whose version builds, the peers' batch calls, the fast path,
                // then for Javalin alone the drain.
                server.insertHandler(new RequestDrain(MAX_DRAINED_BYTES));
                server.insertHandler(fast);
                server.insertHandler(internal.handler());
                server.insertHandler(new BuildingRelay(context.relayTargets(), context.peers(), ports));
                server.insertHandler(new CredentialGate(auth));
                server.insertHandler(probes);
                server.setErrorHandler(new JsonErrorHandler());
            });
            cfg.jetty.modifyHttpConfiguration(http -> {
                http.setRequestHeaderSize(MAX_HEADER_BYTES);
                http.setSendServerVersion(false);
                // A servlet read of a body slower than this fails (408): nobody holds a worker by trickling a body in.
                http.setMinRequestDataRate(MIN_BODY_BYTES_PER_SECOND);
            });
            final HttpThreads threads = HttpThreads.ofThisMachine();
            cfg.jetty.threadPool = threads.pool();
            cfg.startup.showJavalinBanner = false;
            cfg.jsonMapper(new JavalinJackson(Json.mapper(), false));
            cfg.http.maxRequestSize = MAX_REQUEST_BYTES;
            cfg.http.prefer405over404 = true;
            final int perAddress = config.http().maxConnectionsPerAddress();
            cfg.jetty.addConnector((server, http) -> guarded(threads.connector(server, http, host, port, tls), perAddress));
            config.http().managementPort().ifPresent(management -> cfg.jetty.addConnector((server, http) ->
                    guarded(HttpThreads.managementConnector(server, http, host, management, tls), perAddress)));
            cfg.routes.before(ctx -> {
                // Javalin decodes path parameters with URLDecoder, which throws on an escape Jetty lets through
                // (%u0041): a 500 before this check, found by the fuzz run.
                if (!Requests.hasValidEscapes(ctx.req().getRequestURI())) {
                    throw ApiException.badRequest("bad_request", "the path has a malformed percent-escape: write %XX with two hex digits");
                }
                if (!ports.serves(ctx.req().getLocalPort(), ctx.path())) {
                    throw ApiException.notFound("not_found", ports.elsewhere(ctx.path()));
                }
            });
            httpMetrics.register(cfg.routes);
            // The figures hold no record data and no secrets, but name every collection, store and topic.
            cfg.routes.get("/metrics", ctx -> {
                // Default: a key on the API port (the figures name every store and topic), none on a management port.
                if (config.http().metricsRequireKey()) {
                    auth.requireAdmin(ctx);
                }
                ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
            });
            new RecordRoutes(config, finder, auth, Clock.systemUTC()).register(cfg.routes);
            new ChangeRoutes(finder, auth, context.changes(), keys, Clock.systemUTC()).register(cfg.routes);
            new ActivationRoutes(config, finder, auth).register(cfg.routes);
            new PartitionRoutes(config, locator, auth).register(cfg.routes);
            internal.register(cfg.routes);
            new AdminRoutes(config, keys, auth).register(cfg.routes);
            new SyncRoutes(config, context.ingest(), auth, context.topics()).register(cfg.routes);
            new CollectionRoutes(config, auth, context.topics(), context.status()).register(cfg.routes);
            new PurgeRoutes(config, finder, auth, context.purger()).register(cfg.routes);
            new ConsoleRoutes().register(cfg.routes);
            new ClusterRoutes(locator, context.status(), context.peers(), auth).register(cfg.routes);
            probes.bindTo(metrics);
            contract.register(cfg.routes);
            cfg.routes.exception(ApiException.class, (e, ctx) -> {
                if (e.retryAfterSeconds() != null) {
                    ctx.header("Retry-After", Integer.toString(e.retryAfterSeconds()));
                }
                ctx.status(e.status()).json(error(e.code(), e.getMessage()));
            });
            cfg.routes.exception(ChangeFeedUnavailableException.class, (e, ctx) -> {
                ctx.header("Retry-After", "1");
                ctx.status(503).json(error("unavailable", "changes cannot be followed right now: " + e.getMessage()));
            });
            cfg.routes.exception(TooManyStreamsException.class, (e, ctx) -> {
                ctx.header("Retry-After", "60");
                ctx.status(429).json(error("too_many_streams", e.getMessage()));
            });
            cfg.routes.exception(PurgeFailedException.class, (e, ctx) -> {
                ctx.header("Retry-After", "5");
                ctx.status(503).json(error("purge_incomplete", e.getMessage()));
            });
            cfg.routes.exception(HttpResponseException.class, (e, ctx) ->
                    ctx.status(e.getStatus()).json(error(codeOf(e.getStatus()), e.getMessage())));
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                if (timedOut(e)) {
                    ctx.header("Connection", "close");
                    ctx.status(408).json(error("body_too_slow", "the request body arrived slower than " + MIN_BODY_BYTES_PER_SECOND
                            + " bytes a second"));
                    return;
                }
                if (endedEarly(e)) {
                    // The client's fault, not ours (Jetty's HttpEofException): no stack trace for anyone to flood the log with.
                    LOG.debug("Request body of {} {} ended early", ctx.method(), ctx.path(), e);
                    ctx.status(400).json(error("invalid_body", "the request body ended before the length its Content-Length header gave"));
                    return;
                }
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

    private static ServerConnector guarded(final ServerConnector connector, final int maxPerAddress) {
        connector.addBean(new ConnectionGuard(maxPerAddress, FIRST_REQUEST_WITHIN, connector.getScheduler()));
        return connector;
    }

    /** The port the API listens on. */
    public int port() {
        return app.port();
    }

    static Map<String, Object> error(final String code, final String message) {
        final Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", code);
        body.put("message", message);
        return body;
    }

    static String codeOf(final int status) {
        return switch (status) {
            case 400 -> "bad_request";
            case 401 -> "unauthorized";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 413 -> "body_too_large";
            case 414 -> "uri_too_long";
            case 431 -> "headers_too_large";
            case 503 -> "unavailable";
            default -> "http_" + status;
        };
    }

    @Override
    public void close() {
        app.stop();
    }

    /** Whether a failure is a body read failed by the minimum data rate (Jetty's 408), found anywhere in its causes. */
    static boolean timedOut(final Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof org.eclipse.jetty.http.HttpException http && http.getCode() == 408) {
                return true;
            }
        }
        return false;
    }

    /** Whether a failure is the request body's end before its declared length, found anywhere in its causes. */
    static boolean endedEarly(final Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.io.EOFException) {
                return true;
            }
        }
        return false;
    }
}
