package dev.persona.api;

import dev.persona.routing.KeyLocator;
import dev.persona.routing.PeerClient;
import dev.persona.topology.Json;
import org.apache.kafka.streams.state.HostInfo;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * While the topology version this instance runs builds, its stores do not hold everything yet: a client's read of
 * records is relayed to an instance of a complete version, as the client sent it (that instance checks the key), and
 * its answer relayed back with {@value #RELAYED_TO} naming it. So every instance answers through a rollout, not only
 * those a load balancer that follows readiness sends to. A relayed request is never relayed again; when no instance
 * of a complete version runs, or the one asked does not answer, the read answers 503 with {@code Retry-After}, as an
 * instance that builds did before.
 */
final class BuildingRelay extends Handler.Wrapper {
    /** On a relayed answer: the instance that answered it. */
    static final String RELAYED_TO = "X-Persona-Relayed-To";
    /** The largest request body relayed: the API's own limit. */
    private static final int MAX_BODY = (int) ApiServer.MAX_REQUEST_BYTES;
    /** The peer's headers that describe its connection or message framing, not the answer: not relayed. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "transfer-encoding", "content-length", "date", "server");

    private final Supplier<List<HostInfo>> answering;
    private final PeerClient peers;
    private final PortRoles ports;

    /**
     * @param answering while this instance's version builds, the instances of complete versions (never this one);
     *                  empty otherwise (asked on every request: cheap when not building)
     */
    BuildingRelay(final Supplier<List<HostInfo>> answering, final PeerClient peers, final PortRoles ports) {
        this.answering = answering;
        this.peers = peers;
        this.ports = ports;
    }

    /** Whether a request reads records: a lookup, a batch, an activation. */
    static boolean readsRecords(final String method, final String path) {
        if (path == null) {
            return false;
        }
        if (path.startsWith("/v1/collections/") && path.contains("/records/")) {
            return "GET".equals(method) || "HEAD".equals(method) || "POST".equals(method) && path.endsWith("/records/batch");
        }
        return "POST".equals(method) && "/v1/activation".equals(path);
    }

    @Override
    public boolean handle(final Request request, final Response response, final Callback callback) throws Exception {
        if (!readsRecords(request.getMethod(), request.getHttpURI().getPath()) || request.getHeaders().get(PeerClient.RELAY_HEADER) != null
                || !ports.serves(Request.getLocalPort(request), request.getHttpURI().getPath())) {
            return super.handle(request, response, callback);
        }
        final List<HostInfo> candidates = answering.get();
        // A body larger than the API takes is the route's to refuse (413), unread.
        if (candidates.isEmpty() || request.getLength() > MAX_BODY) {
            return super.handle(request, response, callback);
        }
        final HostInfo peer = candidates.get(ThreadLocalRandom.current().nextInt(candidates.size()));
        Content.Source.asByteArrayAsync(request, MAX_BODY).whenComplete((body, unreadable) -> {
            if (unreadable != null) {
                unavailable(response, callback, "the request body could not be read: " + unreadable.getMessage());
                return;
            }
            peers.relay(peer, request.getMethod(), request.getHttpURI().getPathQuery(), request.getHeaders(), body)
                    .whenComplete((answer, failure) -> HttpThreads.completing(() -> {
                        if (failure != null) {
                            unavailable(response, callback, "the instance of the running version it asked ("
                                    + KeyLocator.address(peer) + ") did not answer");
                            return;
                        }
                        response.setStatus(answer.status());
                        for (final HttpField field : answer.headers()) {
                            if (!HOP_BY_HOP.contains(field.getLowerCaseName())) {
                                response.getHeaders().add(field);
                            }
                        }
                        response.getHeaders().put(RELAYED_TO, KeyLocator.address(peer));
                        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, answer.body().length);
                        response.write(true, ByteBuffer.wrap(answer.body()), callback);
                    }));
        });
        return true;
    }

    /** The 503 an instance that builds answers when no instance of a complete version answered for it. */
    private static void unavailable(final Response response, final Callback callback, final String why) {
        final byte[] body;
        try {
            body = Json.mapper().writeValueAsBytes(ApiServer.error("unavailable",
                    "this instance runs a new version of the topology that is still building, and " + why));
        } catch (final com.fasterxml.jackson.core.JsonProcessingException e) {
            callback.failed(e);
            return;
        }
        response.setStatus(503);
        response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
