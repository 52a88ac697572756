package dev.persona.routing;

import org.apache.kafka.streams.state.HostInfo;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.IteratingCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;

/**
 * The calling side of one connection to a peer ({@link PeerSession}): calls are sealed and written by the thread that
 * makes them, without waiting for a thread of the link's own, and many are out at once; answers are read and handed
 * to their callers on the selector thread that read them. Calls made while the connection opens wait for the
 * handshake. When the link closes, for whatever reason, every call still out is answered unavailable (the caller's
 * standby fallback takes over), or, when the peer turned out to speak only HTTP (an instance built before the protocol,
 * during a rolling upgrade), handed to {@link Closed#closed} to be made over HTTP.
 */
final class PeerLink {
    private static final Logger LOG = LoggerFactory.getLogger(PeerLink.class);
    /** The most bytes an answer may carry: a thousand records of 64 KiB, and their kinds and lengths. */
    static final int MAX_ANSWER_BYTES = 96 * 1024 * 1024;
    /** An open link unused this long is closed by either side. */
    static final long IDLE_MILLIS = 10 * 60_000L;

    private enum State { CONNECTING, HANDSHAKE, OPEN, CLOSED }

    /** A call made and not yet answered. */
    record Pending(String store, List<String> keys, Hop hop, byte[] body, CompletableFuture<Map<String, StoredValue>> answer,
                   long deadline) {
    }

    /** Told once, when a link closes. */
    interface Closed {
        /**
         * @param link     the link that closed
         * @param httpOnly true when the peer answered as an HTTP server: {@code unsent} are to be made over HTTP
         * @param unsent   the calls that never left (with {@code httpOnly}); empty otherwise, as they were answered
         */
        void closed(PeerLink link, boolean httpOnly, List<Pending> unsent);
    }

    private final HostInfo peer;
    private final PeerAuth auth;
    private final long timeoutMillis;
    private final Closed onClose;
    private final byte[] clientNonce;
    private final PeerInbox inbox = new PeerInbox(MAX_ANSWER_BYTES + PeerSession.FRAME_OVERHEAD);
    private final Flusher flusher = new Flusher();
    /** Guarded by this, like everything below. */
    private final Map<Integer, Pending> pending = new HashMap<>();
    private final List<ByteBuffer> queued = new ArrayList<>();
    private final List<Integer> unsealed = new ArrayList<>();
    private State state = State.CONNECTING;
    private EndPoint endPoint;
    private PeerSession session;
    private int nextId;

    PeerLink(final HostInfo peer, final PeerAuth auth, final long timeoutMillis, final Closed onClose) {
        this.peer = peer;
        this.auth = auth;
        this.timeoutMillis = timeoutMillis;
        this.onClose = onClose;
        this.clientNonce = auth.nonce(PeerSession.NONCE_BYTES);
    }

    HostInfo peer() {
        return peer;
    }

    /**
     * The values of {@code keys} of {@code store} on the peer, read as {@code hop} says: every key answered.
     *
     * @return null when the link has closed: a new one is to be made
     */
    CompletableFuture<Map<String, StoredValue>> call(final String store, final List<String> keys, final Hop hop) {
        final byte[] body = PeerWire.call(store, keys, hop);
        final Pending call = new Pending(store, keys, hop, body, new CompletableFuture<>(), System.nanoTime() + timeoutMillis * 1_000_000L);
        synchronized (this) {
            if (state == State.CLOSED) {
                return null;
            }
            final int id = nextId++;
            pending.put(id, call);
            if (state != State.OPEN) {
                unsealed.add(id);
                return call.answer();
            }
            queued.add(session.seal(id, body));
        }
        flusher.iterate();
        return call.answer();
    }

    /** The connection to the peer opened: the handshake begins. */
    private void opened(final EndPoint opened) {
        synchronized (this) {
            if (state != State.CONNECTING) {
                opened.close();
                return;
            }
            endPoint = opened;
            state = State.HANDSHAKE;
            queued.add(PeerSession.hello(clientNonce));
        }
        opened.setIdleTimeout(IDLE_MILLIS);
        flusher.iterate();
    }

    /** Takes what the inbox holds; false when the link closed. */
    private boolean take() {
        final ByteBuffer in = inbox.buffer();
        final State now;
        synchronized (this) {
            now = state;
        }
        if (now == State.CLOSED) {
            return false;
        }
        if (now == State.HANDSHAKE) {
            if (in.hasRemaining() && in.get(in.position()) != PeerSession.VERSION) {
                httpOnly();
                return false;
            }
            if (in.remaining() < PeerSession.CHALLENGE_BYTES) {
                return true;
            }
            in.get();
            final byte[] serverNonce = new byte[PeerSession.NONCE_BYTES];
            in.get(serverNonce);
            final byte[] proof = new byte[PeerSession.PROOF_BYTES];
            in.get(proof);
            if (!auth.verifyProof(PeerSession.SERVER, clientNonce, serverNonce, proof)) {
                fail(new IOException(peer + " does not hold the cluster secret"));
                return false;
            }
            synchronized (this) {
                if (state != State.HANDSHAKE) {
                    return false;
                }
                session = auth.session(clientNonce, serverNonce, true);
                queued.add(ByteBuffer.wrap(auth.proof(PeerSession.CLIENT, clientNonce, serverNonce)));
                for (final int id : unsealed) {
                    queued.add(session.seal(id, pending.get(id).body()));
                }
                unsealed.clear();
                state = State.OPEN;
            }
            flusher.iterate();
        }
        PeerSession.Frame frame;
        while ((frame = session.open(in, MAX_ANSWER_BYTES)) != null) {
            final Pending call;
            synchronized (this) {
                call = pending.remove(frame.id());
            }
            if (call != null) {
                answer(call, frame.body());
            }
        }
        return true;
    }

    private void answer(final Pending call, final byte[] body) {
        Map<String, StoredValue> values;
        try {
            values = PeerWire.readAnswer(body, call.keys(), peer);
        } catch (final IllegalArgumentException e) {
            LOG.warn("Unreadable answer from {}: {}", peer, e.getMessage());
            values = PeerClient.unavailable(call.keys(), peer);
        }
        call.answer().complete(values);
    }

    /** How many bytes the inbox must hold for the next step. */
    private int needed() {
        synchronized (this) {
            if (state != State.OPEN) {
                return PeerSession.CHALLENGE_BYTES;
            }
        }
        return PeerSession.needed(inbox.buffer());
    }

    /** Answers the calls past their deadline, and closes the link if there were any: the peer may be gone. */
    void expire(final long nanoTime) {
        final boolean late;
        synchronized (this) {
            late = pending.values().stream().anyMatch(call -> call.deadline() - nanoTime < 0);
        }
        if (late) {
            fail(new TimeoutException(peer + " did not answer within " + timeoutMillis + " ms"));
        }
    }

    /** Closes the link: every call out is answered unavailable. */
    void fail(final Throwable cause) {
        final List<Pending> out;
        final EndPoint toClose;
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
            out = new ArrayList<>(pending.values());
            pending.clear();
            queued.clear();
            toClose = endPoint;
        }
        LOG.debug("The link to {} closed with {} calls out: {}", peer, out.size(), cause.toString());
        if (toClose != null) {
            toClose.close();
        }
        onClose.closed(this, false, List.of());
        out.forEach(call -> call.answer().complete(PeerClient.unavailable(call.keys(), peer)));
    }

    private void httpOnly() {
        final List<Pending> unsent;
        final EndPoint toClose;
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
            // Nothing was sealed before the handshake: every call still waits to leave.
            unsent = new ArrayList<>(pending.values());
            pending.clear();
            toClose = endPoint;
        }
        LOG.info("{} answers HTTP only (built before the peer protocol): calls to it go over HTTP", peer);
        toClose.close();
        onClose.closed(this, true, unsent);
    }

    /** Whether the link is closed. */
    synchronized boolean closed() {
        return state == State.CLOSED;
    }

    /** The Jetty connection under the link. */
    final class LinkConnection extends AbstractConnection.NonBlocking {
        LinkConnection(final EndPoint endPoint, final Executor executor) {
            super(endPoint, executor);
        }


        @Override
        public void onOpen() {
            super.onOpen();
            opened(getEndPoint());
            fillInterested();
        }

        @Override
        public void onFillable() {
            try {
                while (take()) {
                    final int read = inbox.fill(getEndPoint(), needed());
                    if (read < 0) {
                        fail(new IOException(peer + " closed the connection"));
                        return;
                    }
                    if (read == 0) {
                        fillInterested();
                        return;
                    }
                }
            } catch (final IOException | RuntimeException e) {
                fail(e);
            }
        }

        @Override
        public void onClose(final Throwable cause) {
            super.onClose(cause);
            fail(cause != null ? cause : new IOException("the connection to " + peer + " closed"));
        }
    }

    /** Writes the queued frames, one write at a time, from whichever thread queued them. */
    private final class Flusher extends IteratingCallback {
        @Override
        protected Action process() {
            final ByteBuffer[] next;
            final EndPoint to;
            synchronized (PeerLink.this) {
                if (queued.isEmpty() || endPoint == null || state == State.CLOSED) {
                    return Action.IDLE;
                }
                next = queued.toArray(ByteBuffer[]::new);
                queued.clear();
                to = endPoint;
            }
            to.write(this, next);
            return Action.SCHEDULED;
        }

        @Override
        protected void onCompleteFailure(final Throwable cause) {
            fail(cause);
        }

        @Override
        public InvocationType getInvocationType() {
            return InvocationType.NON_BLOCKING;
        }
    }
}
