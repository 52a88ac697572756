package dev.persona.api;

import dev.persona.config.CollectionConfig;
import dev.persona.config.PersonaConfig;
import dev.persona.keys.ApiKey;
import dev.persona.routing.IndexRef;
import dev.persona.routing.KeyLocator;
import dev.persona.routing.RecordQuery;
import dev.persona.routing.RecordFinder;
import dev.persona.routing.StoredValue;
import dev.persona.routing.StoredValues;
import dev.persona.routing.UnavailableReason;
import dev.persona.topology.StoredRecord;
import io.micrometer.core.instrument.Timer;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The hot path of the API, as a Jetty handler in front of Javalin: a plain {@code GET} of one record (no query
 * string) that this instance holds and finds answers here with the stored bytes, on the thread that parsed the
 * request, skipping the hand-off to a worker thread, the servlet layer and Javalin's routing. Everything else
 * (other routes, projections, errors of any kind, 404s, keys other instances own, encodings to negotiate) goes on
 * to Javalin's {@link RecordRoutes} on a worker thread, which answers the same request the same way, so there is
 * one place that words errors.
 */
final class FastLookupHandler extends Handler.Wrapper {
    private static final String PREFIX = "/v1/collections/";
    private static final String ROUTE = "/v1/collections/{collection}/records/{index}/{value}";
    private static final HttpField JSON = new PreEncodedHttpField(HttpHeader.CONTENT_TYPE, "application/json");
    private static final HttpField STALE = new PreEncodedHttpField("X-Persona-Stale", "true");
    private static final String LAG = "X-Persona-Lag";
    /** The instance that holds the record's active copy: where a proxy or client may send the key next time. */
    static final String OWNER = "X-Persona-Owner";
    /** Request attribute: this handler's forward to the owner failed, so the route need not ask it again. */
    static final String OWNER_FAILED = "persona.ownerFailed";
    /** Request attribute: the answer this handler already has (a record to compress, or the owner's "absent"). */
    static final String KNOWN_ANSWER = "persona.knownAnswer";
    /** Javalin compresses answers from this size when the client accepts an encoding; this path never does. */
    private static final int COMPRESSION_THRESHOLD = 1_500;

    private final PersonaConfig config;
    private final RecordFinder finder;
    /** A forward that failed sooner than this failed fast (the owner left or its partition moved): worth asking again. */
    private final long moveWaitNanos;
    private final Authenticator auth;
    private final Timer ok;
    private final Timer notModified;
    private final int managementPort;
    private final String self;

    FastLookupHandler(final PersonaConfig config, final RecordFinder finder, final Authenticator auth, final HttpMetrics metrics,
                      final PortRoles ports) {
        this.managementPort = ports.managementPort().orElse(-1);
        this.config = config;
        this.finder = finder;
        this.moveWaitNanos = config.http().moveWait().toNanos();
        this.auth = auth;
        this.ok = metrics.timer(ROUTE, "GET", 200);
        this.self = KeyLocator.address(finder.self());
        this.notModified = metrics.timer(ROUTE, "GET", 304);
    }

    @Override
    public boolean handle(final Request request, final Response response, final Callback callback) throws Exception {
        final long start = System.nanoTime();
        if (!"GET".equals(request.getMethod()) || request.getHttpURI().getQuery() != null || RequestDrain.hasBody(request)) {
            return delegate(request, response, callback);
        }
        final String path = request.getHttpURI().getPath();
        // Percent-escapes and '+' are decoded by Javalin's rules: leave those requests to it.
        if (path == null || !path.startsWith(PREFIX) || path.indexOf('%') >= 0 || path.indexOf('+') >= 0) {
            return delegate(request, response, callback);
        }
        // Lookups are not served on the management port: the route says so.
        if (managementPort > 0 && Request.getLocalPort(request) == managementPort) {
            return delegate(request, response, callback);
        }
        final int collectionEnd = path.indexOf('/', PREFIX.length());
        final int recordsEnd = collectionEnd < 0 ? -1 : path.indexOf('/', collectionEnd + 1);
        final int indexEnd = recordsEnd < 0 ? -1 : path.indexOf('/', recordsEnd + 1);
        if (indexEnd < 0 || !path.regionMatches(collectionEnd, "/records/", 0, 9) || recordsEnd != collectionEnd + 8
                || path.indexOf('/', indexEnd + 1) >= 0 || indexEnd + 1 == path.length()) {
            return delegate(request, response, callback);
        }
        final Authenticator.ReadDecision decision = auth.decideRead(request.getHeaders().get(HttpHeader.AUTHORIZATION),
                path.substring(PREFIX.length(), collectionEnd), null);
        final RateLimits.Admission admission = decision.rate();
        if (admission.limited()) {
            // Taken once: the route that answers a refusal, a 404 or a forward uses this admission, not a second token.
            request.setAttribute(Authenticator.ADMISSION_ATTRIBUTE, admission);
        }
        // Refusals are worded by the route; a key with a field allow-list is answered by the route, which projects.
        if (!(decision instanceof Authenticator.ReadDecision.Admitted admitted) || admitted.key().hasFieldAllowList()) {
            return delegate(request, response, callback);
        }
        final HttpFields headers = request.getHeaders();
        final ApiKey key = admitted.key();
        final CollectionConfig collection = admitted.collection();
        final Optional<IndexRef> index = Requests.indexOrEmpty(collection, path.substring(recordsEnd + 1, indexEnd));
        if (index.isEmpty()) {
            return delegate(request, response, callback);
        }
        final RecordQuery query = RecordQuery.byIndex(collection, index.get(), path.substring(indexEnd + 1));
        final StoredValue here = finder.findHere(query);
        if (here instanceof StoredValue.Found record) {
            return answer(request, response, callback, record, record.stale() ? null : self, admission, start);
        }
        // A key another instance owns: asked of it on the peer client's threads, this one goes back to parsing.
        final StoredValues.Forward forward = here instanceof StoredValue.NotHere ? finder.forward(query.withCaller(Requests.caller(key))) : null;
        if (forward == null) {
            // Absent and unavailable records go to the route: it words every error.
            return delegate(request, response, callback);
        }
        forward.answer().whenComplete((value, failure) -> HttpThreads.completing(() -> {
            // Anything but a present record from the owner is for the route: it tries standbys and words errors.
            try {
                final StoredValue answer = failure != null || value == null
                        ? new StoredValue.Unavailable(UnavailableReason.OWNER_UNREACHABLE, "the owner gave no answer")
                        : value.asRecord();
                if (answer instanceof StoredValue.Found record && !record.stale()) {
                    answer(request, response, callback, record, KeyLocator.address(forward.owner()), admission, start);
                    return;
                }
                if (answer instanceof StoredValue.Absent) {
                    // The owner said so: the route words the 404 without asking it again.
                    request.setAttribute(KNOWN_ANSWER, answer);
                } else if (answer instanceof StoredValue.Unavailable unavailable && unavailable.reason() == UnavailableReason.OWNER_UNREACHABLE
                        && System.nanoTime() - start >= moveWaitNanos) {
                    // The route asks the standbys only: the owner just had its request timeout. An owner that failed at
                    // once (it left, or its partition moved) is asked again by the route, which waits for the move.
                    request.setAttribute(OWNER_FAILED, Boolean.TRUE);
                }
                delegate(request, response, callback);
            } catch (final RuntimeException e) {
                callback.failed(e);
            }
        }));
        return true;
    }

    /** Writes {@code record} as the answer; {@code owner} is the instance that holds its active copy, when known. */
    private boolean answer(final Request request, final Response response, final Callback callback, final StoredValue.Found record,
                           final String owner, final RateLimits.Admission admission, final long start) {
        final byte[] stored = record.stored();
        final int length = StoredRecord.bodyLength(stored);
        final HttpFields headers = request.getHeaders();
        if (length >= COMPRESSION_THRESHOLD && headers.get(HttpHeader.ACCEPT_ENCODING) != null) {
            // Javalin compresses; the record found (perhaps over a hop) goes with the request rather than being read again.
            request.setAttribute(KNOWN_ANSWER, record);
            return delegate(request, response, callback);
        }
        final ConditionalGet conditional = ConditionalGet.of(stored, RecordView.Shape.PLAIN, headers.get(HttpHeader.IF_NONE_MATCH));
        final HttpFields.Mutable answer = response.getHeaders();
        answer.put(HttpHeader.ETAG, conditional.etag());
        if (owner != null) {
            answer.put(OWNER, owner);
        }
        if (record.stale()) {
            // kafka.readFrom: nearest answered from this instance's standby copy: the answer says so, as the route's does.
            answer.put(STALE);
            answer.put(LAG, record.lag());
        }
        if (admission.limited()) {
            final java.util.List<String> limits = admission.headers();
            for (int i = 0; i < limits.size(); i += 2) {
                answer.put(limits.get(i), limits.get(i + 1));
            }
        }
        if (conditional.notModified()) {
            response.setStatus(304);
            response.write(true, BufferUtil.EMPTY_BUFFER, callback);
            notModified.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
            return true;
        }
        response.setStatus(200);
        answer.put(JSON);
        answer.put(HttpHeader.CONTENT_LENGTH, length);
        response.write(true, ByteBuffer.wrap(stored, StoredRecord.BODY_OFFSET, length), callback);
        ok.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        return true;
    }

    /**
     * Javalin's servlet layer may block (request bodies, forwards to peers, waits for a rebalance), so everything
     * this handler does not answer itself runs on Jetty's worker threads, as it would without this handler.
     */
    private boolean delegate(final Request request, final Response response, final Callback callback) {
        request.getContext().execute(() -> {
            try {
                if (!super.handle(request, response, callback)) {
                    Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
                }
            } catch (final Throwable failure) {
                callback.failed(failure);
            }
        });
        return true;
    }

    /**
     * Non-blocking: a record this instance holds is answered from memory or a RocksDB read of microseconds, so
     * Jetty runs this handler on the thread that parsed the request instead of handing every request to a worker
     * thread; everything else is handed over by {@link #delegate}.
     */
    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING;
    }
}
