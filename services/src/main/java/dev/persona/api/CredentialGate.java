package dev.persona.api;

import dev.persona.routing.Caller;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.util.Optional;

/**
 * The first handler of every request: a request that carries a body but no credentials worth reading it for never has
 * a byte of its body read. On {@code /internal/} the credentials are the cluster's signature, checked from the headers
 * alone ({@link dev.persona.routing.PeerAuth}); elsewhere, a valid API key. Such a request goes on to its route with
 * an empty body and {@code Connection: close}, so that the route words its own refusal (a 401 in its dialect) within
 * microseconds, and the connection, with whatever the client still meant to send, is closed after the answer. Without
 * this a client that announced a large body and sent it one byte at a time held a worker thread for as long as it
 * liked: forty of them stalled every route, health probes included.
 */
final class CredentialGate extends Handler.Wrapper {
    /** The verified {@link Caller} of a call signed by another instance. */
    static final String PEER_ATTRIBUTE = "persona.peer";
    static final String NOT_SIGNED = "internal endpoints answer other Persona instances only: the request is not signed with this "
            + "cluster's secret";
    private static final String INTERNAL = "/internal/";
    private static final long DRAINED_BYTES = 2 * ApiServer.MAX_REQUEST_BYTES;
    private static final java.time.Duration DRAINED_WITHIN = java.time.Duration.ofSeconds(5);

    private final Authenticator auth;

    CredentialGate(final Authenticator auth) {
        this.auth = auth;
    }

    @Override
    public boolean handle(final Request request, final Response response, final Callback callback) throws Exception {
        final String path = request.getHttpURI().getPath();
        if (path != null && path.startsWith(INTERNAL)) {
            final Optional<Caller> peer = auth.peerOf(request.getMethod(), path, name -> request.getHeaders().get(name));
            if (peer.isPresent()) {
                request.setAttribute(PEER_ATTRIBUTE, peer.get());
                return super.handle(request, response, callback);
            }
            return refuse(request, response, callback);
        }
        if (RequestDrain.hasBody(request) && auth.keyOf(request.getHeaders().get(HttpHeader.AUTHORIZATION)).isEmpty()) {
            return refuse(request, response, callback);
        }
        return super.handle(request, response, callback);
    }

    /**
     * Passes the request on without its body, and closes the connection after the answer. What the client still sends
     * is read and dropped, as {@link RequestDrain} does, up to {@link #DRAINED_BYTES} and for at most
     * {@link #DRAINED_WITHIN}, holding no thread: a client that is sending its body when the connection closes would
     * otherwise get a reset instead of its 401.
     */
    private boolean refuse(final Request request, final Response response, final Callback callback) throws Exception {
        response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        return super.handle(new Unread(request), response, new Callback.Nested(callback) {
            @Override
            public void succeeded() {
                if (!RequestDrain.hasBody(request)) {
                    callback.succeeded();
                    return;
                }
                final Callback once = new OnceWithin(callback);
                request.getComponents().getScheduler().schedule(() -> once.failed(
                        new java.util.concurrent.TimeoutException("a refused request's body was still arriving")), DRAINED_WITHIN.toMillis(),
                        java.util.concurrent.TimeUnit.MILLISECONDS);
                RequestDrain.drain(request, once, DRAINED_BYTES);
            }
        });
    }

    /** Completes the exchange once: by the drain's end, or by its deadline, which aborts the connection. */
    private static final class OnceWithin extends Callback.Nested {
        private final java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();

        OnceWithin(final Callback callback) {
            super(callback);
        }

        @Override
        public void succeeded() {
            if (done.compareAndSet(false, true)) {
                super.succeeded();
            }
        }

        @Override
        public void failed(final Throwable failure) {
            if (done.compareAndSet(false, true)) {
                super.failed(failure);
            }
        }
    }

    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING;
    }

    /** A request whose body reads as empty: nothing the client sends after its headers is ever read. */
    private static final class Unread extends Request.Wrapper {
        Unread(final Request request) {
            super(request);
        }

        @Override
        public Content.Chunk read() {
            return Content.Chunk.EOF;
        }

        @Override
        public void demand(final Runnable demandCallback) {
            demandCallback.run();
        }

        @Override
        public long getLength() {
            return 0;
        }
    }
}
