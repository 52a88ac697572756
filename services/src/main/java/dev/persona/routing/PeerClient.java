package dev.persona.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.persona.topology.Json;
import org.apache.kafka.streams.state.HostInfo;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Asks another instance for the stored values it owns, over one shared Jetty {@link HttpClient} (connections kept
 * alive and pooled per peer, connect and request timeouts). Single lookups bound for the same peer, store and caller
 * are coalesced: while a call to that peer is out ({@link #MAX_IN_FLIGHT}), the lookups that arrive wait for the next
 * call and travel in it together, so that under load one call carries many keys, and with no load a lookup leaves at
 * once. Every request carries {@link #HOP_HEADER}: an instance never forwards a request that has it, so a forward can
 * never loop. A call carries the verified caller (key id and scope), signed with the cluster secret ({@link PeerAuth}),
 * and an answer is taken only when the peer signed it for that call; the client's bearer token never leaves the
 * instance it was sent to. Over HTTPS when the API serves HTTPS, checking the peer's certificate against the
 * configured trust.
 */
public final class PeerClient implements AutoCloseable {
    /** Marks a request forwarded by another instance; its value is the sender's address. */
    public static final String HOP_HEADER = "X-Persona-Forwarded-By";
    /** The raw stored values of keys of a store: {@code POST} a {@link PeerWire} call, answered in {@link PeerWire}'s bytes. */
    public static final String RAW_BATCH_PATH = "/internal/v2/stores/%s/batch";
    /** Where an instance reports its own partitions, lags and restorations ({@code GET}, admin key). */
    public static final String STATUS_PATH = "/internal/v1/status";
    /**
     * Calls out at once to one peer for one store and caller; lookups beyond wait for it to come back. One: while a
     * call is out the next one fills. Two split the same keys into smaller calls (4.6 keys a call instead of 5 under
     * the cluster benchmark's load) and cost about 10% more CPU per lookup.
     */
    static final int MAX_IN_FLIGHT = 1;
    /** Keys one call carries at most: the peer's batch limit. */
    static final int MAX_KEYS_PER_CALL = 1_000;
    /** Bytes of an answer at most: a thousand records of 64 KiB. */
    private static final int MAX_ANSWER_BYTES = 96 * 1024 * 1024;

    private static final ObjectMapper MAPPER = Json.mapper();

    private final HttpClient client;
    private final long requestTimeoutMillis;
    private final String self;
    private final PeerAuth auth;
    private final String scheme;
    private final io.micrometer.core.instrument.DistributionSummary keysPerCall;
    /** One coalescer per peer, store, caller and copy asked for; a coalescer forgotten while busy still finishes. */
    private final Cache<Route, Coalescer> coalescers = Caffeine.newBuilder().executor(Runnable::run).expireAfterAccess(Duration.ofMinutes(10)).maximumSize(10_000).build();

    /**
     * @param tls the context to call peers over HTTPS with; null for plain HTTP
     */
    public PeerClient(final HostInfo self, final Duration connectTimeout, final Duration requestTimeout, final PeerAuth auth,
                      final javax.net.ssl.SSLContext tls, final io.micrometer.core.instrument.MeterRegistry metrics) {
        this.keysPerCall = io.micrometer.core.instrument.DistributionSummary.builder("persona.peer.call.keys")
                .description("keys per batch call to another instance: single lookups to one owner share calls under load")
                .register(metrics);
        final ClientConnector connector = new ClientConnector();
        if (tls != null) {
            final SslContextFactory.Client factory = new SslContextFactory.Client();
            factory.setSslContext(tls);
            connector.setSslContextFactory(factory);
        }
        final QueuedThreadPool threads = new QueuedThreadPool(16, 2);
        threads.setName("persona-peer-client");
        threads.setDaemon(true);
        connector.setExecutor(threads);
        final var transport = new org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP(connector);
        // The answer's listeners only parse bytes, check a MAC and complete futures whose continuations write
        // without blocking (anything that may block is handed to a worker by FastLookupHandler.delegate): run them
        // on the selector thread that read the answer rather than waking a pool thread for each call.
        transport.setInvocationType(org.eclipse.jetty.util.thread.Invocable.InvocationType.NON_BLOCKING);
        this.client = new HttpClient(transport);
        client.setExecutor(threads);
        client.setConnectTimeout(connectTimeout.toMillis());
        client.setIdleTimeout(Duration.ofMinutes(1).toMillis());
        client.setMaxConnectionsPerDestination(64);
        client.setFollowRedirects(false);
        // Not sent: Jetty's User-Agent and Accept-Encoding (the peer answers what it answers).
        client.setUserAgentField(null);
        // No Accept-Encoding: the answers are stored bytes on a local network, and gzip cost more CPU than the hop.
        client.getContentDecoderFactories().clear();
        try {
            client.start();
        } catch (final Exception e) {
            throw new IllegalStateException("cannot start the HTTP client instances call each other with", e);
        }
        // A 401 or 407 is an answer to relay or report, not a challenge for this client to take up (the handlers are
        // added by start()).
        client.getProtocolHandlers().clear();
        this.requestTimeoutMillis = requestTimeout.toMillis();
        this.self = KeyLocator.address(self);
        this.auth = auth;
        this.scheme = tls == null ? "http" : "https";
    }

    /**
     * The stored value of {@code key} in {@code store} on {@code peer}, in a call with the other keys bound there at
     * the same time. Keys travel in a JSON body, never in the path: they may hold any character (index keys hold a
     * NUL, primary keys may hold a slash).
     */
    public CompletableFuture<StoredValue> fetch(final HostInfo peer, final String store, final String key, final Caller caller,
                                                final Hop hop) {
        final Route route = new Route(peer, store, caller, hop);
        return coalescers.get(route, Coalescer::new).fetch(key);
    }

    /**
     * The stored values of {@code keys} on {@code peer}, in one call: key -> value, every key answered (unavailable when
     * the peer could not say).
     *
     * @param hop how the peer is to read: {@link Hop#FORWARDED} (its active copies) or {@link Hop#FORWARDED_TO_STANDBY}
     *            (its standby copies too: the active owner could not answer)
     */
    public CompletableFuture<Map<String, StoredValue>> fetchAll(final HostInfo peer, final String store, final List<String> keys,
                                                                final Caller caller, final Hop hop) {
        final byte[] body = PeerWire.ask(keys, hop);
        keysPerCall.record(keys.size());
        final String path = RAW_BATCH_PATH.formatted(store);
        final Request request = request(peer, HttpMethod.POST, path, caller, body)
                .body(new BytesRequestContent(PeerWire.MEDIA_TYPE, body));
        return new CompletableResponseListener(request, MAX_ANSWER_BYTES).send()
                .thenApply(response -> {
                    if (response.getStatus() != 200 || !signedByPeer(request, response)) {
                        return unavailable(keys, peer);
                    }
                    try {
                        return PeerWire.readAnswer(response.getContent(), keys, peer);
                    } catch (final IllegalArgumentException e) {
                        return unavailable(keys, peer);
                    }
                })
                .exceptionally(e -> unavailable(keys, peer));
    }

    /** Every key unavailable: what a call that got no usable answer says. */
    static Map<String, StoredValue> unavailable(final List<String> keys, final HostInfo peer) {
        final StoredValue unanswered = PeerWire.unanswered(peer);
        final Map<String, StoredValue> values = new LinkedHashMap<>(keys.size() * 2);
        keys.forEach(key -> values.put(key, unanswered));
        return values;
    }

    /** A client's request relayed to another instance: what it answered. */
    public record Relayed(int status, org.eclipse.jetty.http.HttpFields headers, byte[] body) {
    }

    /** The client's headers a relayed request carries: its credentials, and what shapes the answer. */
    private static final List<String> RELAYED_HEADERS = List.of("Authorization", "Accept", "Accept-Encoding", "If-None-Match", "Content-Type");
    /** On a relayed request: the instance that relayed it, which is never relayed again. */
    public static final String RELAY_HEADER = "X-Persona-Relayed-By";

    /**
     * Sends a client's request on to {@code peer} as the client sent it (its credentials included: the peer checks
     * them), marked {@link #RELAY_HEADER}, and gives back the whole answer.
     *
     * @param pathAndQuery the request's path and query string, as received
     * @param body         the request's body; empty for none
     */
    public CompletableFuture<Relayed> relay(final HostInfo peer, final String method, final String pathAndQuery,
                                            final org.eclipse.jetty.http.HttpFields headers, final byte[] body) {
        final Request request = client.newRequest(scheme + "://" + peer.host() + ":" + peer.port() + pathAndQuery)
                .method(method)
                .timeout(requestTimeoutMillis, TimeUnit.MILLISECONDS)
                .headers(sent -> {
                    for (final String name : RELAYED_HEADERS) {
                        final String value = headers.get(name);
                        if (value != null) {
                            sent.put(name, value);
                        }
                    }
                    sent.put(RELAY_HEADER, self);
                });
        if (body.length > 0) {
            request.body(new org.eclipse.jetty.client.BytesRequestContent(headers.get("Content-Type"), body));
        }
        return new CompletableResponseListener(request, MAX_ANSWER_BYTES).send()
                .thenApply(response -> new Relayed(response.getStatus(), response.getHeaders(), response.getContent()));
    }

    /** The status report of {@code peer} as JSON, or an {@code {"error": ...}} object when it does not answer. */
    public CompletableFuture<JsonNode> status(final HostInfo peer) {
        final Request request = request(peer, HttpMethod.GET, STATUS_PATH, Caller.INSTANCE, null);
        return new CompletableResponseListener(request, MAX_ANSWER_BYTES).send()
                .thenApply(response -> {
                    if (response.getStatus() != 200) {
                        return (JsonNode) MAPPER.createObjectNode().put("error", "answered " + response.getStatus());
                    }
                    if (!signedByPeer(request, response)) {
                        return MAPPER.createObjectNode().put("error", "the answer is not signed with the cluster's secret");
                    }
                    try {
                        return MAPPER.readTree(response.getContent());
                    } catch (final IOException e) {
                        return MAPPER.createObjectNode().put("error", "unreadable status");
                    }
                })
                .exceptionally(e -> MAPPER.createObjectNode().put("error", "unreachable"));
    }

    private Request request(final HostInfo peer, final HttpMethod method, final String path, final Caller caller, final byte[] body) {
        final String digest = PeerAuth.digest(body);
        final String signature = auth.sign(method.asString(), path, caller, digest);
        return client.newRequest(scheme + "://" + peer.host() + ":" + peer.port() + path)
                .method(method)
                .timeout(requestTimeoutMillis, TimeUnit.MILLISECONDS)
                .headers(headers -> headers
                        .put(HOP_HEADER, self)
                        .put(PeerAuth.CALLER_HEADER, caller.keyId())
                        .put(PeerAuth.SCOPE_HEADER, PeerAuth.scope(caller))
                        .put(PeerAuth.BODY_HEADER, digest)
                        .put(PeerAuth.SIGNATURE_HEADER, signature));
    }

    /** Whether the answer is the peer's own to this very call: anything else is treated as no answer. */
    private boolean signedByPeer(final Request request, final ContentResponse response) {
        return auth.verifyAnswer(request.getHeaders().get(PeerAuth.SIGNATURE_HEADER), response.getContent(),
                response.getHeaders().get(PeerAuth.ANSWER_HEADER));
    }

    @Override
    public void close() {
        try {
            client.stop();
        } catch (final Exception e) {
            // Stopping: connections to peers close with the process anyway.
        }
    }

    /** Where a coalesced call goes, and for whom: lookups share a call only when all of this is the same. */
    private record Route(HostInfo peer, String store, Caller caller, Hop hop) {
    }

    /**
     * The single lookups bound for one {@link Route}: sent at once while fewer than {@link #MAX_IN_FLIGHT} calls are
     * out, otherwise gathered for the call that leaves when one comes back.
     */
    private final class Coalescer {
        private final Route route;
        private Map<String, List<CompletableFuture<StoredValue>>> waiting = new LinkedHashMap<>();
        private int inFlight;

        Coalescer(final Route route) {
            this.route = route;
        }

        CompletableFuture<StoredValue> fetch(final String key) {
            final CompletableFuture<StoredValue> answer = new CompletableFuture<>();
            final Map<String, List<CompletableFuture<StoredValue>>> batch;
            synchronized (this) {
                waiting.computeIfAbsent(key, k -> new ArrayList<>(1)).add(answer);
                batch = takeIfFree();
            }
            send(batch);
            return answer;
        }

        /** The waiting lookups, to send now, when a call may leave; else null. Holds the lock. */
        private Map<String, List<CompletableFuture<StoredValue>>> takeIfFree() {
            if (inFlight >= MAX_IN_FLIGHT || waiting.isEmpty()) {
                return null;
            }
            inFlight++;
            if (waiting.size() <= MAX_KEYS_PER_CALL) {
                final Map<String, List<CompletableFuture<StoredValue>>> batch = waiting;
                waiting = new LinkedHashMap<>();
                return batch;
            }
            final Map<String, List<CompletableFuture<StoredValue>>> batch = new LinkedHashMap<>();
            final var keys = waiting.entrySet().iterator();
            while (batch.size() < MAX_KEYS_PER_CALL) {
                final var next = keys.next();
                batch.put(next.getKey(), next.getValue());
                keys.remove();
            }
            return batch;
        }

        private void send(final Map<String, List<CompletableFuture<StoredValue>>> batch) {
            if (batch == null) {
                return;
            }
            final List<String> keys = List.copyOf(batch.keySet());
            CompletableFuture<Map<String, StoredValue>> call;
            try {
                call = fetchAll(route.peer(), route.store(), keys, route.caller(), route.hop());
            } catch (final RuntimeException e) {
                call = CompletableFuture.completedFuture(unavailable(keys, route.peer()));
            }
            call.whenComplete((answer, failure) -> done(batch, answer != null ? answer : unavailable(keys, route.peer())));
        }

        private void done(final Map<String, List<CompletableFuture<StoredValue>>> batch, final Map<String, StoredValue> values) {
            final Map<String, List<CompletableFuture<StoredValue>>> next;
            synchronized (this) {
                inFlight--;
                next = takeIfFree();
            }
            send(next);
            final StoredValue unanswered = PeerWire.unanswered(route.peer());
            batch.forEach((key, answers) -> {
                final StoredValue value = values.getOrDefault(key, unanswered);
                answers.forEach(each -> each.complete(value));
            });
        }
    }
}
