package dev.persona.api;

import dev.persona.routing.Caller;
import dev.persona.routing.DeclaredStores;
import dev.persona.routing.PeerAuth;
import dev.persona.routing.PeerClient;
import dev.persona.routing.PeerWire;
import dev.persona.routing.StoredValues;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;

/**
 * What instances ask each other: stored values of keys they own, as bytes ({@link PeerWire}), so that the instance
 * the client called renders the answer. Never forwarded again; only for calls signed with the cluster secret, for the
 * caller (key id and scope) they name. A signed call is answered by {@link #handler()} in front of Javalin, without
 * a thread hand-off or the servlet layer; the Javalin route answers the same path for what that handler leaves (an
 * unsigned call gets its 401 there, worded as every error is).
 */
final class InternalRoutes {
    /** The most bytes a call may carry: a thousand keys of 4 KiB. */
    private static final int MAX_CALL_BYTES = 4 * 1024 * 1024;
    private static final String PREFIX = PeerClient.RAW_BATCH_PATH.substring(0, PeerClient.RAW_BATCH_PATH.indexOf("%s"));
    private static final String SUFFIX = PeerClient.RAW_BATCH_PATH.substring(PeerClient.RAW_BATCH_PATH.indexOf("%s") + 2);

    private final DeclaredStores stores;
    private final StoredValues lookup;
    private final Authenticator auth;

    InternalRoutes(final DeclaredStores stores, final StoredValues lookup, final Authenticator auth) {
        this.stores = stores;
        this.lookup = lookup;
        this.auth = auth;
    }

    void register(final RoutesConfig routes) {
        routes.post(PeerClient.RAW_BATCH_PATH.formatted("{store}"), this::storedBatch);
    }

    private void storedBatch(final Context ctx) {
        final Caller caller = auth.requirePeer(ctx);
        final byte[] answer = answer(ctx.pathParam("store"), caller, ctx.bodyAsBytes());
        ctx.header(PeerAuth.ANSWER_HEADER, auth.signAnswer(ctx.header(PeerAuth.SIGNATURE_HEADER), answer));
        ctx.contentType(PeerWire.MEDIA_TYPE).result(answer);
    }

    /** The answer to a verified caller's call for keys of {@code store}. */
    private byte[] answer(final String store, final Caller caller, final byte[] body) {
        final String collection = stores.collectionOf(store)
                .orElseThrow(() -> ApiException.notFound("store_not_found", "no store '" + store + "'"));
        if (!caller.canRead(collection)) {
            throw ApiException.forbidden("key " + caller.keyId() + " may not read collection '" + collection + "'");
        }
        final PeerWire.Ask ask;
        try {
            ask = PeerWire.readAsk(body, RecordRoutes.BATCH_LIMIT);
        } catch (final IllegalArgumentException e) {
            throw ApiException.badRequest("invalid_body", "not a batch call: " + e.getMessage());
        }
        return PeerWire.answer(ask.keys(), lookup.getAll(store, ask.keys(), Caller.INSTANCE, ask.hop()));
    }

    /**
     * Answers signed calls in front of Javalin: the body is read without holding a thread, and the keys are read from
     * this instance's stores on the thread the body arrived on (a forwarded call never waits on another instance).
     */
    Handler.Wrapper handler() {
        return new Handler.Wrapper() {
            @Override
            public boolean handle(final Request request, final Response response, final Callback callback) throws Exception {
                final String path = request.getHttpURI().getPath();
                if (!"POST".equals(request.getMethod()) || path == null || !path.startsWith(PREFIX) || !path.endsWith(SUFFIX)
                        || !(request.getAttribute(CredentialGate.PEER_ATTRIBUTE) instanceof Caller caller)) {
                    return super.handle(request, response, callback);
                }
                final String store = path.substring(PREFIX.length(), path.length() - SUFFIX.length());
                final String signature = request.getHeaders().get(PeerAuth.SIGNATURE_HEADER);
                final String digest = request.getHeaders().get(PeerAuth.BODY_HEADER);
                Content.Source.asByteArrayAsync(request, MAX_CALL_BYTES).whenComplete((body, failure) -> {
                    try {
                        if (failure != null) {
                            Response.writeError(request, response, callback, HttpStatus.BAD_REQUEST_400, "unreadable call: " + failure.getMessage());
                            return;
                        }
                        if (!PeerAuth.bodyMatches(digest, body)) {
                            error(response, callback, ApiException.unauthorized(CredentialGate.NOT_SIGNED));
                            return;
                        }
                        final byte[] answer = answer(store, caller, body);
                        response.setStatus(200);
                        response.getHeaders().put(HttpHeader.CONTENT_TYPE, PeerWire.MEDIA_TYPE);
                        response.getHeaders().put(PeerAuth.ANSWER_HEADER, auth.signAnswer(signature, answer));
                        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, answer.length);
                        response.write(true, ByteBuffer.wrap(answer), callback);
                    } catch (final ApiException e) {
                        error(response, callback, e);
                    } catch (final RuntimeException e) {
                        callback.failed(e);
                    }
                });
                return true;
            }

            @Override
            public InvocationType getInvocationType() {
                return InvocationType.NON_BLOCKING;
            }
        };
    }

    /** An error as the API words every error (a peer reads only the status). */
    private static void error(final Response response, final Callback callback, final ApiException e) {
        response.setStatus(e.status());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        try {
            response.write(true, ByteBuffer.wrap(dev.persona.topology.Json.mapper().writeValueAsBytes(ApiServer.error(e.code(), e.getMessage()))), callback);
        } catch (final java.io.IOException failure) {
            callback.failed(failure);
        }
    }
}
