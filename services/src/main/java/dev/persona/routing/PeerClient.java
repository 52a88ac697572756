package dev.persona.routing;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.persona.topology.Json;
import org.apache.kafka.streams.state.HostInfo;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Asks another instance for the stored values it owns, over one shared JDK {@link HttpClient} (keep-alive,
 * connect and request timeouts). Every request carries {@link #HOP_HEADER}: an instance never forwards a request
 * that has it, so a forward can never loop. The caller's own API key is passed on and checked by the peer.
 */
public final class PeerClient {
    /** Marks a request forwarded by another instance; its value is the sender's address. */
    public static final String HOP_HEADER = "X-Persona-Forwarded-By";
    /** The raw stored value of one key: {@code GET} returns its bytes, 404 when absent, 503 when not owned here. */
    public static final String RAW_RECORD_PATH = "/internal/v1/collections/%s/stored/%s";
    /** The raw stored values of many keys: {@code POST} {@code {"ids": [...]}} returns a {@link PeerBatch}. */
    public static final String RAW_BATCH_PATH = "/internal/v1/collections/%s/stored-batch";

    private static final ObjectMapper MAPPER = Json.mapper();

    private final HttpClient client;
    private final Duration requestTimeout;
    private final String self;

    public PeerClient(final HostInfo self, final Duration connectTimeout, final Duration requestTimeout) {
        this.client = HttpClient.newBuilder().connectTimeout(connectTimeout).version(HttpClient.Version.HTTP_1_1).build();
        this.requestTimeout = requestTimeout;
        this.self = self.host() + ":" + self.port();
    }

    /** The stored value of {@code key} on {@code peer}. */
    public CompletableFuture<Lookup> fetch(final HostInfo peer, final String collection, final String key, final String authorization) {
        final String path = RAW_RECORD_PATH.formatted(collection, URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20"));
        final HttpRequest request = request(peer, path, authorization).GET().build();
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(response -> switch (response.statusCode()) {
                    case 200 -> (Lookup) new Lookup.Found(response.body());
                    case 404 -> Lookup.ABSENT;
                    default -> new Lookup.Unavailable(peer + " answered " + response.statusCode());
                })
                .exceptionally(e -> new Lookup.Unavailable(peer + " is unreachable: " + rootMessage(e)));
    }

    /** The stored values of {@code keys} on {@code peer}. */
    public CompletableFuture<PeerBatch> fetchAll(final HostInfo peer, final String collection, final List<String> keys, final String authorization) {
        final byte[] body;
        try {
            body = MAPPER.writeValueAsBytes(Map.of("ids", keys));
        } catch (final IOException e) {
            throw new IllegalStateException(e);
        }
        final HttpRequest request = request(peer, RAW_BATCH_PATH.formatted(collection), authorization)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(response -> {
                    if (response.statusCode() != 200) {
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

    private HttpRequest.Builder request(final HostInfo peer, final String path, final String authorization) {
        final HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://" + peer.host() + ":" + peer.port() + path))
                .timeout(requestTimeout)
                .header(HOP_HEADER, self);
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        return builder;
    }

    private static String rootMessage(final Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }

    /**
     * The answer of a peer to a raw batch.
     *
     * @param found       key -> stored value
     * @param missing     keys with nothing stored
     * @param unavailable keys the peer could not answer for
     */
    public record PeerBatch(Map<String, byte[]> found, List<String> missing, List<String> unavailable) {
        public PeerBatch {
            found = found == null ? Map.of() : found;
            missing = missing == null ? List.of() : missing;
            unavailable = unavailable == null ? List.of() : unavailable;
        }

        static PeerBatch unavailable(final List<String> keys) {
            return new PeerBatch(Map.of(), List.of(), keys);
        }
    }
}
