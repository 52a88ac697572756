package dev.persona.api;

import dev.persona.config.CollectionConfig;
import dev.persona.config.PersonaConfig;
import dev.persona.keys.ApiKey;
import dev.persona.keys.ApiKeyStore;
import dev.persona.routing.Caller;
import dev.persona.routing.PeerAuth;
import io.javalin.http.Context;

import java.util.Optional;

/**
 * Who may ask what, decided once per request and in this order: a valid key (401), its rate limit (429), then the
 * collection (404 naming only collections the key may read, 403 for one it may not); reads decide it in
 * {@link #decideRead}, on the fast path as on the routes. Nothing about the configuration reaches a caller without a
 * valid key. Never logs what it is given.
 */
final class Authenticator {
    /** Set on a request whose rate limit was already taken (by the fast path), so that the route takes no second token. */
    static final String ADMISSION_ATTRIBUTE = "persona.admission";
    private static final String PREFIX = "Bearer ";

    private final PersonaConfig config;
    private final ApiKeyStore keys;
    private final RateLimits limits;
    private final PeerAuth peers;
    private final long maxKeyStalenessNanos;

    Authenticator(final PersonaConfig config, final ApiKeyStore keys, final RateLimits limits, final PeerAuth peers) {
        this.config = config;
        this.keys = keys;
        this.limits = limits;
        this.peers = peers;
        this.maxKeyStalenessNanos = config.http().maxKeyStaleness().toNanos();
    }

    /**
     * The caller another instance asks for, from the cluster's signature on the request. Not rate-limited: the
     * instance the client called took the token.
     *
     * @throws ApiException 401 when the request is not signed with the cluster secret
     */
    Caller requirePeer(final Context ctx) {
        // CredentialGate checked the signature from the headers before the body was read; here the body must match it.
        if (!(ctx.attribute(CredentialGate.PEER_ATTRIBUTE) instanceof Caller caller)
                || !PeerAuth.bodyMatches(ctx.header(PeerAuth.BODY_HEADER), ctx.bodyAsBytes())) {
            throw ApiException.unauthorized(CredentialGate.NOT_SIGNED);
        }
        return caller;
    }

    /** The verified caller of a call from another instance, from its headers alone; consumes the signature's nonce. */
    Optional<Caller> peerOf(final String method, final String path, final java.util.function.UnaryOperator<String> headers) {
        return peers.verify(method, path, headers.apply(PeerAuth.SIGNATURE_HEADER), headers.apply(PeerAuth.CALLER_HEADER),
                headers.apply(PeerAuth.SCOPE_HEADER), headers.apply(PeerAuth.BODY_HEADER));
    }

    /** The signature of {@code answer} to the call signed {@code callSignature}, for {@link PeerAuth#ANSWER_HEADER}. */
    String signAnswer(final String callSignature, final byte[] answer) {
        return peers.signAnswer(callSignature, answer);
    }

    /** Answers a peer's call with {@code answer} as JSON, signed for that call so that the peer knows it is ours. */
    void answerPeer(final Context ctx, final Object answer) {
        final byte[] body;
        try {
            body = dev.persona.topology.Json.mapper().writeValueAsBytes(answer);
        } catch (final com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        ctx.header(PeerAuth.ANSWER_HEADER, peers.signAnswer(ctx.header(PeerAuth.SIGNATURE_HEADER), body));
        ctx.contentType("application/json").result(body);
    }

    /**
     * Whether this instance knows it holds every key change recent enough to vouch for a key: it confirmed it read the
     * key topic to its end within {@code http.maxKeyStaleness}. An instance cut off from Kafka cannot see a revocation.
     */
    boolean keysCurrent() {
        return keys.nanosSinceCaughtUp() <= maxKeyStalenessNanos;
    }

    private void requireKeysCurrent() {
        if (!keysCurrent()) {
            throw keysUnverified();
        }
    }

    private ApiException keysUnverified() {
        return ApiException.unavailable("keys_unverified", "this instance cannot reach Kafka to confirm that API keys were not revoked "
                + "(for " + keys.sinceCaughtUp().toSeconds() + " s, past http.maxKeyStaleness); retry on another instance");
    }

    /** The 401 for a request whose {@code Authorization} header (null when absent) holds no valid key. */
    private static ApiException unauthorized(final String authorization) {
        return ApiException.unauthorized(authorization == null ? "missing API key: send 'Authorization: Bearer <key>'" : "unknown or revoked API key");
    }

    private static ApiException tooManyRequests(final RateLimits.Admission admission) {
        return ApiException.tooManyRequests("this API key is limited to " + admission.limit() + "; retry in "
                + admission.retryAfterSeconds() + " s", admission.retryAfterSeconds());
    }

    /** The key an {@code Authorization} header carries, if it is a valid one. */
    Optional<ApiKey> keyOf(final String header) {
        if (header == null || !header.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            return Optional.empty();
        }
        final String secret = header.substring(PREFIX.length()).trim();
        return secret.isEmpty() ? Optional.empty() : keys.authenticate(secret);
    }

    /**
     * Whether the caller may read {@code collectionName}: the one decision every read path takes, the fast path
     * included, in the order 503 (keys unverified), 401 (no valid key), 429 (rate limit), 404 (no such collection),
     * 403 (scoped elsewhere). Data, not an exception: the fast path hands a refusal to the route, which words it.
     *
     * @param authorization the request's {@code Authorization} header, or null
     * @param taken         what the request already took from the key's rate limit (the fast path's admission), or
     *                      null to take one request now
     */
    ReadDecision decideRead(final String authorization, final String collectionName, final RateLimits.Admission taken) {
        if (!keysCurrent()) {
            return new ReadDecision.Refused(keysUnverified(), RateLimits.Admission.UNLIMITED);
        }
        final Optional<ApiKey> found = keyOf(authorization);
        if (found.isEmpty()) {
            return new ReadDecision.Refused(unauthorized(authorization), RateLimits.Admission.UNLIMITED);
        }
        final ApiKey key = found.get();
        final RateLimits.Admission rate = taken != null ? taken : limits.admit(key);
        if (!rate.admitted()) {
            return new ReadDecision.Refused(tooManyRequests(rate), rate);
        }
        final Optional<CollectionConfig> collection = config.collection(collectionName);
        if (collection.isEmpty()) {
            try {
                // A name that cannot be a collection's is a 400 of its own (checked only here, off the hot path).
                Requests.namedCollection(config, collectionName);
            } catch (final ApiException invalid) {
                return new ReadDecision.Refused(invalid, rate);
            }
            return new ReadDecision.Refused(ApiException.notFound("collection_not_found", "no collection '" + collectionName + "'; this key reads: "
                    + String.join(", ", config.collections().stream().map(CollectionConfig::name).filter(key::canRead).toList())), rate);
        }
        if (!key.canRead(collection.get().name())) {
            return new ReadDecision.Refused(ApiException.forbidden("this API key may not read collection '" + collectionName + "'"), rate);
        }
        return new ReadDecision.Admitted(key, collection.get(), rate);
    }

    /** What {@link #decideRead} decided; either way, what the key's rate limit said (its headers go on the answer). */
    sealed interface ReadDecision {
        RateLimits.Admission rate();

        /** The key may read the collection. */
        record Admitted(ApiKey key, CollectionConfig collection, RateLimits.Admission rate) implements ReadDecision {
        }

        /** The request is refused with {@code error}. */
        record Refused(ApiException error, RateLimits.Admission rate) implements ReadDecision {
        }
    }

    /**
     * The key of the request, admitted by its rate limit, and the collection it may read.
     *
     * @throws ApiException 401 without a valid key, 429 past its rate limit, 404 for a collection name that is not
     *                      one, 403 when the key is scoped to other collections
     */
    Reader requireReader(final Context ctx, final String collectionName) {
        final ReadDecision decision = decideRead(ctx.header("Authorization"), collectionName,
                ctx.attribute(ADMISSION_ATTRIBUTE) instanceof RateLimits.Admission taken ? taken : null);
        if (decision.rate().limited()) {
            setHeaders(ctx, decision.rate());
        }
        if (decision instanceof ReadDecision.Refused refused) {
            throw refused.error();
        }
        final ReadDecision.Admitted admitted = (ReadDecision.Admitted) decision;
        return new Reader(admitted.key(), admitted.collection());
    }

    /**
     * A key that may read {@code collection}, for routes that find the collection themselves (the activation dialect).
     *
     * @return empty when the request has no valid key; the route words its own 401
     * @throws ApiException 429 past the key's rate limit
     */
    Optional<ApiKey> admittedKey(final Context ctx) {
        requireKeysCurrent();
        final Optional<ApiKey> key = keyOf(ctx.header("Authorization"));
        key.ifPresent(k -> admitOrThrow(ctx, k));
        return key;
    }

    /**
     * The key of the request, which must be an admin key.
     *
     * @throws ApiException 401 without a valid key, 429 past its rate limit, 403 for a non-admin key
     */
    ApiKey requireAdmin(final Context ctx) {
        final ApiKey key = requireKey(ctx);
        if (!key.admin()) {
            throw ApiException.forbidden("this endpoint needs an admin API key");
        }
        return key;
    }

    private ApiKey requireKey(final Context ctx) {
        requireKeysCurrent();
        final ApiKey key = keyOf(ctx.header("Authorization")).orElseThrow(() -> unauthorized(ctx.header("Authorization")));
        admitOrThrow(ctx, key);
        return key;
    }

    /**
     * Takes what the rest of a batch of {@code records} ids costs (the request took one already): each record a batch
     * reads costs one request of the key's rate.
     *
     * @throws ApiException 429 when the key's bucket does not hold that many
     */
    void admitBatch(final Context ctx, final ApiKey key, final int records) {
        if (records <= 1) {
            return;
        }
        final RateLimits.Admission admission = limits.admit(key, records - 1L);
        if (!admission.limited()) {
            return;
        }
        setHeaders(ctx, admission);
        if (!admission.admitted()) {
            throw ApiException.tooManyRequests("a batch costs one request of the key's rate per id: " + records + " ids do not fit "
                    + "in what this key (" + admission.limit() + ") has left; retry in " + admission.retryAfterSeconds()
                    + " s, or send at most " + admission.limit().permits() + " ids a batch", admission.retryAfterSeconds());
        }
    }

    private static void setHeaders(final Context ctx, final RateLimits.Admission admission) {
        final java.util.List<String> headers = admission.headers();
        for (int i = 0; i < headers.size(); i += 2) {
            ctx.header(headers.get(i), headers.get(i + 1));
        }
    }

    private void admitOrThrow(final Context ctx, final ApiKey key) {
        final Object taken = ctx.attribute(ADMISSION_ATTRIBUTE);
        final RateLimits.Admission admission = taken instanceof RateLimits.Admission a ? a : limits.admit(key);
        if (!admission.limited()) {
            return;
        }
        // Taken once: a decision made later for the same request (decideRead) uses this admission.
        ctx.attribute(ADMISSION_ATTRIBUTE, admission);
        setHeaders(ctx, admission);
        if (!admission.admitted()) {
            throw tooManyRequests(admission);
        }
    }

    /**
     * A caller allowed to read one collection.
     *
     * @param key        the caller's key: its field allow-list shapes every answer
     * @param collection the collection
     */
    record Reader(ApiKey key, CollectionConfig collection) {
    }
}
