package dev.persona.api;

import dev.persona.topology.Json;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The errors Jetty answers itself, before any route runs (a request line or headers it cannot parse, a URI it will
 * not decode, headers or a URI too large, a request on a closing server), as the same JSON {@code {error, message}}
 * as every other error, whatever the request accepts and whatever its method. Jetty's own handler writes HTML.
 */
final class JsonErrorHandler extends ErrorHandler {

    @Override
    public boolean errorPageForMethod(final String method) {
        return true;
    }

    @Override
    protected void generateResponse(final Request request, final Response response, final int code, final String message,
                                    final Throwable cause, final Callback callback) {
        final Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", ApiServer.codeOf(code));
        body.put("message", explain(code, message));
        final byte[] bytes;
        try {
            bytes = Json.mapper().writeValueAsBytes(body);
        } catch (final com.fasterxml.jackson.core.JsonProcessingException e) {
            callback.failed(e);
            return;
        }
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }

    /** What went wrong, in words a client can act on; Jetty's reason phrase when there is nothing better. */
    static String explain(final int code, final String reason) {
        return switch (code) {
            case HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE_431 -> "the request headers are larger than this server takes ("
                    + ApiServer.MAX_HEADER_BYTES + " bytes in all); send a shorter Authorization header or fewer headers";
            case HttpStatus.URI_TOO_LONG_414 -> "the request URI is longer than this server takes (" + ApiServer.MAX_HEADER_BYTES
                    + " bytes); for many records, POST them to /v1/collections/{collection}/records/batch";
            case HttpStatus.PAYLOAD_TOO_LARGE_413 -> "request bodies are limited to " + ApiServer.MAX_REQUEST_BYTES + " bytes";
            case HttpStatus.BAD_REQUEST_400 -> "the request cannot be read: " + (reason == null ? "malformed" : reason)
                    + "; percent-encode reserved characters in path segments (as %2F for '/') and send valid HTTP";
            default -> reason == null ? HttpStatus.getMessage(code) : reason;
        };
    }
}
