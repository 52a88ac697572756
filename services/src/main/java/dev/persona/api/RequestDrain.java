package dev.persona.api;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Reads and discards what a route left unread of a request's body before the exchange ends. Most routes never read
 * one ({@code GET /metrics}, lookups, a 401 decided from the headers), and Jetty closes a connection whose request
 * content is not consumed at once: the client's bytes still on their way then make the kernel reset the
 * connection, and the client loses the answer it was sent (found by the fuzz run: a {@code GET /metrics} with a
 * 200 KB body got "Connection reset"; Jetty's maintainers advise reading the content,
 * jetty/jetty.project#2502). Bodies above {@code maxBytes} are not drained: Jetty closes those connections, as it
 * should for a client sending more than any route takes. Draining waits for the client's bytes without holding a
 * thread; a client that stops sending is bounded by the connector's idle timeout. It wraps Javalin alone:
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
                    // Whether the rest arrives or not, the answer has been written: the exchange succeeded.
                    Content.Source.consumeAll(request, Callback.from(callback::succeeded, failure -> callback.succeeded()));
                }
            }
        });
    }
}
