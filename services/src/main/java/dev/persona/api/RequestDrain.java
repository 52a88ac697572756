package dev.persona.api;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Reads and discards what a route left unread of a request's body before the exchange ends, as nginx's lingering
 * close does. Most routes never read one ({@code GET /metrics}, lookups, a 401 decided from the headers, a 413 for a
 * body over the limit), and Jetty closes a connection whose request content is not consumed at once: the client's
 * bytes still on their way then make the kernel reset the connection, and the client loses the answer it was sent
 * (found by the fuzz run: a {@code GET /metrics} with a 200 KB body, then one with a 1 MB body, got "Connection
 * reset"; Jetty's maintainers advise reading the content, jetty/jetty.project#2502). At most {@code maxBytes} are
 * drained; a client that sends more has its connection closed, as one that stops sending is by the connector's
 * idle timeout. Draining waits for the client's bytes without holding a thread. It wraps Javalin alone:
 * {@link FastLookupHandler} sends every request that has a body on to it.
 */
final class RequestDrain extends Handler.Wrapper {
    private final long maxBytes;

    RequestDrain(final long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** Whether the request says a body follows (a length above zero, or chunks). */
    static boolean hasBody(final Request request) {
        final HttpFields headers = request.getHeaders();
        return headers.getLongField(HttpHeader.CONTENT_LENGTH) > 0 || headers.contains(HttpHeader.TRANSFER_ENCODING);
    }

    @Override
    public boolean handle(final Request request, final Response response, final Callback callback) throws Exception {
        if (!hasBody(request)) {
            return super.handle(request, response, callback);
        }
        return super.handle(request, response, new Callback.Nested(callback) {
            @Override
            public void succeeded() {
                if (request.getLength() > maxBytes) {
                    callback.succeeded();
                } else {
                    drain(request, callback, maxBytes);
                }
            }
        });
    }

    /** Reads until the body ends, fails or passes {@code left} bytes; then the exchange succeeds: its answer is out. */
    static void drain(final Request request, final Callback done, final long left) {
        long remaining = left;
        while (true) {
            final Content.Chunk chunk = request.read();
            if (chunk == null) {
                final long unread = remaining;
                request.demand(() -> drain(request, done, unread));
                return;
            }
            remaining -= chunk.remaining();
            chunk.release();
            if (chunk.isLast() || Content.Chunk.isFailure(chunk) || remaining < 0) {
                done.succeeded();
                return;
            }
        }
    }
}
