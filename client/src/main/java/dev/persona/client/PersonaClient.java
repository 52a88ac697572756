package dev.persona.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client of a Persona cluster for the JVM. A lookup by key goes straight to the instance that owns the key, as the
 * cluster's partition map ({@code GET /v1/collections/{c}/partitions}) names it, so it costs the cluster no forward; the
 * map is read on first use, again every {@link Builder#mapRefresh} and as soon as an answer names another owner
 * ({@code X-Persona-Owner}) or an instance cannot be reached. A 503 is retried after its {@code Retry-After}, on the next
 * instance, within {@link Builder#maxRetryWait}; a lookup asked before is asked with its ETag and a 304 answered from
 * memory. Thread-safe; one per application. The JDK's {@link HttpClient}, called synchronously (connections kept alive
 * and pooled per instance); no dependency beyond Jackson.
 *
 * <pre>{@code
 * PersonaClient persona = PersonaClient.builder()
 *         .endpoints("http://persona-0:8080", "http://persona-1:8080")
 *         .apiKey(System.getenv("PERSONA_API_KEY"))
 *         .build();
 * Optional<PersonaClient.Record> customer = persona.get("customers", "42");
 * }</pre>
 */
public final class PersonaClient implements AutoCloseable {
    /** The header in which an answer names the instance that holds the record's active copy. */
    static final String OWNER_HEADER = "X-Persona-Owner";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<URI> endpoints;
    private final String authorization;
    private final Duration timeout;
    private final HttpClient http;
    private final int maxAttempts;
    private final long maxRetryWaitMillis;
    private final long mapRefreshNanos;
    private final Map<String, PartitionMap> maps = new ConcurrentHashMap<>();
    private final Map<String, Record> etags;
    private final AtomicInteger next = new AtomicInteger();
    private final String scheme;

    private PersonaClient(final Builder builder) {
        this.endpoints = List.copyOf(builder.endpoints);
        this.authorization = "Bearer " + builder.apiKey;
        this.timeout = builder.timeout;
        this.maxAttempts = builder.maxAttempts;
        this.maxRetryWaitMillis = builder.maxRetryWait.toMillis();
        this.mapRefreshNanos = builder.mapRefresh.toNanos();
        final HttpClient.Builder http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER);
        if (builder.tls != null) {
            http.sslContext(builder.tls);
        }
        this.http = http.build();
        this.scheme = endpoints.get(0).getScheme();
        final int cacheSize = builder.etagCacheSize;
        this.etags = java.util.Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(final Map.Entry<String, Record> eldest) {
                return size() > cacheSize;
            }
        });
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The record with primary key {@code id} in {@code collection}, asked of the instance that owns it.
     *
     * @return empty when there is no such record (404)
     * @throws PersonaException when the cluster refuses (4xx) or cannot answer within the retries (503, unreachable)
     */
    public Optional<Record> get(final String collection, final String id) {
        final PartitionMap map = map(collection);
        final URI owner = map.owner(Murmur2.partition(id, map.partitions()));
        return lookup(collection, map.primaryIndex(), id, owner);
    }

    /**
     * The instance {@link #get} would ask for {@code id} now ({@code http://host:port/}), from the partition map: for
     * a proxy or a load balancer that sends each key to its owner without this client's calls; null while the
     * partition has no owner (a rebalance). The map is read when missing, old or outdated, as for {@link #get}.
     */
    public URI ownerOf(final String collection, final String id) {
        final PartitionMap map = map(collection);
        return map.owner(Murmur2.partition(id, map.partitions()));
    }

    /**
     * The record whose secondary index {@code index} holds {@code value}: asked of any instance (the index entry and
     * the record may live on different ones, and the instance asked finds both).
     */
    public Optional<Record> find(final String collection, final String index, final String value) {
        return lookup(collection, index, value, null);
    }

    private Optional<Record> lookup(final String collection, final String index, final String value, final URI owner) {
        final String path = "/v1/collections/" + segment(collection) + "/records/" + segment(index) + "/" + segment(value);
        final String cacheKey = collection + '\u0000' + index + '\u0000' + value;
        final long deadline = System.nanoTime() + maxRetryWaitMillis * 1_000_000;
        URI target = owner != null ? owner : nextEndpoint();
        PersonaException last = null;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            final Record cached = etags.get(cacheKey);
            final Answer answer;
            try {
                answer = call(target.resolve(path), cached == null ? null : cached.etag());
            } catch (final IOException e) {
                // Unreachable: the map is likely out of date; the next instance is asked (it forwards to the owner).
                maps.remove(collection);
                last = new PersonaException(0, "unreachable", target + " could not be reached: " + e.getMessage(), null);
                target = nextEndpoint();
                continue;
            }
            if (answer.status() == 200 || answer.status() == 304) {
                final String answeredOwner = answer.header(OWNER_HEADER);
                if (owner != null && answeredOwner != null && !owner.getAuthority().equals(answeredOwner)) {
                    // Answered all the same (forwarded); the owner moved, so the map is read again next time.
                    maps.computeIfPresent(collection, (c, m) -> m.markedOutdated());
                }
                if (answer.status() == 304 && cached != null) {
                    return Optional.of(cached.revalidated());
                }
                final Record record = new Record(answer.body(), answer.header("ETag"), answeredOwner,
                        "true".equals(answer.header("X-Persona-Stale")), parseLong(answer.header("X-Persona-Lag")), false);
                if (record.etag() != null) {
                    etags.put(cacheKey, record);
                }
                return Optional.of(record);
            }
            if (answer.status() == 404) {
                etags.remove(cacheKey);
                final PersonaException notFound = answer.error();
                if ("record_not_found".equals(notFound.code())) {
                    return Optional.empty();
                }
                throw notFound;
            }
            last = answer.error();
            if (answer.status() != 503) {
                throw last;
            }
            // 503: the owner cannot answer right now (restarting, rebalancing). Wait as told, within the budget, and
            // ask the next instance, which may hold a standby copy.
            final long wait = Math.min(Math.max(0, last.retryAfterMillis() == null ? 1_000 : last.retryAfterMillis()),
                    (deadline - System.nanoTime()) / 1_000_000);
            if (wait <= 0 && attempt > 1) {
                break;
            }
            sleep(wait);
            maps.remove(collection);
            target = nextEndpoint();
        }
        throw Objects.requireNonNull(last);
    }

    private Answer call(final URI uri, final String etag) throws IOException {
        final HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout).GET()
                .header("Authorization", authorization).header("Accept", "application/json");
        if (etag != null) {
            request.header("If-None-Match", etag);
        }
        try {
            // send(), not sendAsync(): on a machine of two cores the latter completes each answer on a thread of its own.
            final HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Answer(response.statusCode(), response.body(), response.headers());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PersonaException(0, "interrupted", "interrupted while waiting for " + uri, null);
        }
    }

    /** The partition map of {@code collection}, read when missing, old or outdated. */
    private PartitionMap map(final String collection) {
        final PartitionMap known = maps.get(collection);
        if (known != null && !known.outdated() && System.nanoTime() - known.readAt() < mapRefreshNanos) {
            return known;
        }
        PersonaException last = null;
        for (int attempt = 0; attempt < Math.max(maxAttempts, endpoints.size()); attempt++) {
            final URI endpoint = nextEndpoint();
            try {
                final Answer answer = call(endpoint.resolve("/v1/collections/" + segment(collection) + "/partitions"), null);
                if (answer.status() != 200) {
                    last = answer.error();
                    if (answer.status() != 503) {
                        throw last;
                    }
                    continue;
                }
                final PartitionMap map = PartitionMap.of(JSON.readTree(answer.body()), scheme);
                maps.put(collection, map);
                return map;
            } catch (final IOException e) {
                last = new PersonaException(0, "unreachable", endpoint + " could not be reached: " + e.getMessage(), null);
            }
        }
        if (known != null) {
            return known;
        }
        throw Objects.requireNonNull(last);
    }

    private URI nextEndpoint() {
        return endpoints.get(Math.floorMod(next.getAndIncrement(), endpoints.size()));
    }

    private static void sleep(final long millis) {
        try {
            Thread.sleep(millis);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PersonaException(0, "interrupted", "interrupted while waiting to retry", null);
        }
    }

    private static long parseLong(final String text) {
        try {
            return text == null ? 0 : Long.parseLong(text);
        } catch (final NumberFormatException e) {
            return 0;
        }
    }

    /** {@code text} as one path segment: every byte but RFC 3986's unreserved characters percent-encoded. */
    static String segment(final String text) {
        final StringBuilder out = new StringBuilder(text.length() + 8);
        for (final byte b : text.getBytes(StandardCharsets.UTF_8)) {
            final char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return out.toString();
    }

    @Override
    public void close() {
        maps.clear();
        etags.clear();
    }

    /**
     * A record as the cluster answered it.
     *
     * @param json      its fields, as the JSON text the API answered
     * @param etag      its ETag, sent back as {@code If-None-Match} the next time it is asked for
     * @param owner     {@code host:port} of the instance holding its active copy, when the answer named it
     * @param stale     read from a standby copy ({@code X-Persona-Stale})
     * @param lag       that copy's offset lag
     * @param unchanged answered 304: the record is the one asked for before, from memory
     */
    public record Record(String json, String etag, String owner, boolean stale, long lag, boolean unchanged) {
        Record revalidated() {
            return new Record(json, etag, owner, stale, lag, true);
        }
    }

    /** One HTTP answer. */
    private record Answer(int status, String body, HttpHeaders headers) {
        String header(final String name) {
            return headers.firstValue(name).orElse(null);
        }

        PersonaException error() {
            String code = "http_" + status;
            String message = body;
            try {
                final JsonNode error = JSON.readTree(body);
                code = error.path("error").asText(code);
                message = error.path("message").asText(body);
            } catch (final IOException e) {
                // Not JSON (a proxy's page): the status and the text say it.
            }
            final String retryAfter = header("Retry-After");
            Long retryAfterMillis = null;
            if (retryAfter != null) {
                try {
                    retryAfterMillis = Long.parseLong(retryAfter.trim()) * 1_000;
                } catch (final NumberFormatException e) {
                    retryAfterMillis = 1_000L;
                }
            }
            return new PersonaException(status, code, message, retryAfterMillis);
        }
    }

    /** Which instance holds the active copy of each partition of a collection. */
    private record PartitionMap(String primaryIndex, int partitions, List<URI> actives, long readAt, boolean outdated) {
        static PartitionMap of(final JsonNode answer, final String scheme) {
            final int partitions = answer.path("partitions").asInt();
            if (partitions <= 0 || !answer.hasNonNull("primaryIndex")) {
                throw new PersonaException(0, "unexpected_answer", "the partition map names no partitions or primary index: " + answer, null);
            }
            final List<URI> actives = new ArrayList<>(java.util.Collections.nCopies(partitions, (URI) null));
            for (final JsonNode owner : answer.path("owners")) {
                final int partition = owner.path("partition").asInt(-1);
                if (partition >= 0 && partition < partitions && owner.hasNonNull("active")) {
                    actives.set(partition, URI.create(scheme + "://" + owner.path("active").asText()));
                }
            }
            return new PartitionMap(answer.path("primaryIndex").asText(), partitions, actives, System.nanoTime(), false);
        }

        PartitionMap markedOutdated() {
            return new PartitionMap(primaryIndex, partitions, actives, readAt, true);
        }

        /** The owner of {@code partition}; null while it has none (then any instance is asked). */
        URI owner(final int partition) {
            return actives.get(partition);
        }
    }

    /** How a {@link PersonaClient} reaches the cluster. */
    public static final class Builder {
        private final List<URI> endpoints = new ArrayList<>();
        private String apiKey;
        private Duration timeout = Duration.ofSeconds(2);
        private int maxAttempts = 3;
        private Duration maxRetryWait = Duration.ofSeconds(5);
        private Duration mapRefresh = Duration.ofSeconds(30);
        private int etagCacheSize = 10_000;
        private SSLContext tls;

        private Builder() {
        }

        /** Instances to start from (any of them; one is enough, more survive its loss), as {@code http(s)://host:port}. */
        public Builder endpoints(final String... urls) {
            for (final String url : urls) {
                endpoints.add(URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url));
            }
            return this;
        }

        /** The API key, sent as a bearer token. */
        public Builder apiKey(final String key) {
            this.apiKey = key;
            return this;
        }

        /** To connect, and to wait for an answer; 2 s unless set. */
        public Builder timeout(final Duration value) {
            this.timeout = value;
            return this;
        }

        /** Calls per lookup at most, the first included; 3 unless set. */
        public Builder maxAttempts(final int value) {
            this.maxAttempts = value;
            return this;
        }

        /** How long a lookup waits, in all, on {@code Retry-After}s before it gives up; 5 s unless set. */
        public Builder maxRetryWait(final Duration value) {
            this.maxRetryWait = value;
            return this;
        }

        /** How old a partition map may grow before it is read again; 30 s unless set. */
        public Builder mapRefresh(final Duration value) {
            this.mapRefresh = value;
            return this;
        }

        /** Records kept with their ETags, least recently asked for dropped first; 10,000 unless set (0: none). */
        public Builder etagCacheSize(final int value) {
            this.etagCacheSize = value;
            return this;
        }

        /** The trust for instances that serve HTTPS, when the JVM's default does not hold their CA. */
        public Builder tls(final SSLContext context) {
            this.tls = context;
            return this;
        }

        public PersonaClient build() {
            if (endpoints.isEmpty()) {
                throw new IllegalArgumentException("endpoints: name at least one instance, as http(s)://host:port");
            }
            if (endpoints.stream().map(URI::getScheme).distinct().count() != 1) {
                throw new IllegalArgumentException("endpoints: all http or all https, as the cluster serves");
            }
            if (apiKey == null || apiKey.isBlank()) {
                throw new IllegalArgumentException("apiKey: the key the client sends (prs_...)");
            }
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts: at least 1");
            }
            return new PersonaClient(this);
        }
    }
}
