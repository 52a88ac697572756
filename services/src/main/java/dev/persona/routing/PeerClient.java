package dev.persona.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.persona.topology.Json;
import org.apache.kafka.streams.state.HostInfo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Asks another instance for the stored values it owns, over one shared JDK {@link HttpClient} (keep-alive,
 * connect and request timeouts). Every request carries {@link #HOP_HEADER}: an instance never forwards a request
 * that has it, so a forward can never loop. A call carries the verified caller (key id and scope), signed with the
 * cluster secret ({@link PeerAuth}), and an answer is taken only when the peer signed it for that call; the client's
 * bearer token never leaves the instance it was sent to. Over HTTPS
 * when the API serves HTTPS, checking the peer's certificate against the configured trust.
 */
public final class PeerClient {
    /** Marks a request forwarded by another instance; its value is the sender's address. */
    public static final String HOP_HEADER = "X-Persona-Forwarded-By";
    /** The raw stored values of keys of a store: {@code POST} {@code {"ids": [...]}} returns a {@link PeerBatch}. */
    public static final String RAW_BATCH_PATH = "/internal/v1/stores/%s/batch";

    private static final ObjectMapper MAPPER = Json.mapper();

    private final HttpClient client;
    private final Duration requestTimeout;
    private final String self;
    private final PeerAuth auth;
    private final String scheme;

    /**
     * @param tls the context to call peers over HTTPS with; null for plain HTTP
     */
    public PeerClient(final HostInfo self, final Duration connectTimeout, final Duration requestTimeout, final PeerAuth auth,
                      final javax.net.ssl.SSLContext tls) {
        final HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(connectTimeout).version(HttpClient.Version.HTTP_1_1);
        if (tls != null) {
            builder.sslContext(tls);
        }
        this.client = builder.build();
        this.requestTimeout = requestTimeout;
        this.self = self.host() + ":" + self.port();
        this.auth = auth;
        this.scheme = tls == null ? "http" : "https";
    }

    /**
     * The stored value of {@code key} in {@code store} on {@code peer}. Keys travel in a JSON body, never in the
     * path: they may hold any character (index keys hold a NUL, primary keys may hold a slash).
     */
    public CompletableFuture<StoredValue> fetch(final HostInfo peer, final String store, final String key, final Caller caller,
                                           final boolean standby) {
        return fetchAll(peer, store, List.of(key), caller, standby).thenApply(batch -> {
            if (batch.found().containsKey(key)) {
                final Long lag = batch.stale().get(key);
                return new StoredValue.Found(batch.found().get(key), lag != null, lag == null ? 0 : lag);
            }
            if (batch.missing().contains(key)) {
                return StoredValue.ABSENT;
            }
            return new StoredValue.Unavailable(UnavailableReason.OWNER_UNREACHABLE, peer + " could not answer");
        });
    }

    /**
     * The stored values of {@code keys} on {@code peer}.
     *
     * @param standby ask the peer for its standby copies (the active owner could not answer)
     */
    public CompletableFuture<PeerBatch> fetchAll(final HostInfo peer, final String store, final List<String> keys, final Caller caller,
                                                 final boolean standby) {
        final byte[] body;
        try {
            body = MAPPER.writeValueAsBytes(Map.of("ids", keys, "standby", standby));
        } catch (final IOException e) {
            throw new IllegalStateException(e);
        }
        final HttpRequest request = request(peer, "POST", RAW_BATCH_PATH.formatted(store), caller, body)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(response -> {
                    if (response.statusCode() != 200 || !signedByPeer(request, response)) {
                        return PeerBatch.unavailable(keys);
                    }
                    try {
                        return MAPPER.readValue(response.body(), PeerBatch.class);
                    } catch (final IOException e) {
                        return PeerBatch.unavailable(keys);
                    }
                })
                .exceptionally(e -> PeerBatch.unavailable(keys));
    }

    /** Where an instance reports its own partitions, lags and restorations ({@code GET}, admin key). */
    public static final String STATUS_PATH = "/internal/v1/status";

    /** The status report of {@code peer} as JSON, or an {@code {"error": ...}} object when it does not answer. */
    public CompletableFuture<JsonNode> status(final HostInfo peer) {
        final HttpRequest request = request(peer, "GET", STATUS_PATH, Caller.INSTANCE, null).GET().build();
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(response -> {
                    if (response.statusCode() != 200) {
                        return (JsonNode) MAPPER.createObjectNode().put("error", "answered " + response.statusCode());
                    }
                    if (!signedByPeer(request, response)) {
                        return MAPPER.createObjectNode().put("error", "the answer is not signed with the cluster's secret");
                    }
                    try {
                        return MAPPER.readTree(response.body());
                    } catch (final IOException e) {
                        return MAPPER.createObjectNode().put("error", "unreadable status");
                    }
                })
                .exceptionally(e -> MAPPER.createObjectNode().put("error", "unreachable"));
    }

    private HttpRequest.Builder request(final HostInfo peer, final String method, final String path, final Caller caller, final byte[] body) {
        final String digest = PeerAuth.digest(body);
        return HttpRequest.newBuilder(URI.create(scheme + "://" + peer.host() + ":" + peer.port() + path))
                .timeout(requestTimeout)
                .header(HOP_HEADER, self)
                .header(PeerAuth.CALLER_HEADER, caller.keyId())
                .header(PeerAuth.SCOPE_HEADER, PeerAuth.scope(caller))
                .header(PeerAuth.BODY_HEADER, digest)
                .header(PeerAuth.SIGNATURE_HEADER, auth.sign(method, path, caller, digest));
    }

    /** Whether the answer is the peer's own to this very call: anything else is treated as no answer. */
    private boolean signedByPeer(final HttpRequest request, final HttpResponse<byte[]> response) {
        return auth.verifyAnswer(request.headers().firstValue(PeerAuth.SIGNATURE_HEADER).orElse(""), response.body(),
                response.headers().firstValue(PeerAuth.ANSWER_HEADER).orElse(null));
    }

    /**
     * The answer of a peer to a raw batch.
     *
     * @param found       key -> stored value
     * @param missing     keys with nothing stored
     * @param unavailable keys the peer could not answer for
     * @param stale       key -> offset lag, for values read from a standby copy
     */
    public record PeerBatch(Map<String, byte[]> found, List<String> missing, List<String> unavailable, Map<String, Long> stale) {
        public PeerBatch {
            found = found == null ? Map.of() : found;
            missing = missing == null ? List.of() : missing;
            unavailable = unavailable == null ? List.of() : unavailable;
            stale = stale == null ? Map.of() : stale;
        }

        static PeerBatch unavailable(final List<String> keys) {
            return new PeerBatch(Map.of(), List.of(), keys, Map.of());
        }
    }
}
