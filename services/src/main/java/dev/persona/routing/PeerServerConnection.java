package dev.persona.routing;

import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The answering side of one peer connection ({@link PeerSession}): the handshake, then every call read is answered
 * at once on the thread that read it, the answers to what one read brought written together. While they are being
 * written nothing more is read, so a caller that does not take its answers is not answered more.
 */
final class PeerServerConnection extends AbstractConnection.NonBlocking implements Connection.UpgradeTo {
    private static final Logger LOG = LoggerFactory.getLogger(PeerServerConnection.class);
    /** The most bytes a call may carry: a thousand keys of 4 KiB. */
    private static final int MAX_CALL_BYTES = 4 * 1024 * 1024 + 1024;
    /** A caller that proved itself may keep its connection open this long between calls. */
    private static final long IDLE_MILLIS = 10 * 60_000L;
    private static final int IDLE = 0;
    private static final int WRITING = 1;
    private static final int WRITTEN = 2;
    private static final int WRITING_LATER = 3;

    private enum Stage { HELLO, PROOF, OPEN }

    private final PeerAuth auth;
    private final PeerProtocol.Answers answers;
    private final int maxKeys;
    private final PeerInbox inbox = new PeerInbox(MAX_CALL_BYTES + PeerSession.FRAME_OVERHEAD);
    private final AtomicInteger writeState = new AtomicInteger(IDLE);
    private final Callback written = new Callback() {
        @Override
        public void succeeded() {
            if (!writeState.compareAndSet(WRITING, WRITTEN)) {
                // Written after onFillable returned: reading resumes here.
                writeState.set(IDLE);
                onFillable();
            }
        }

        @Override
        public void failed(final Throwable failure) {
            close();
        }

        @Override
        public InvocationType getInvocationType() {
            return InvocationType.NON_BLOCKING;
        }
    };
    private Stage stage = Stage.HELLO;
    private byte[] clientNonce;
    private byte[] serverNonce;
    private PeerSession session;
    private long calls;

    PeerServerConnection(final EndPoint endPoint, final Executor executor, final PeerAuth auth, final PeerProtocol.Answers answers,
                         final int maxKeys) {
        super(endPoint, executor);
        this.auth = auth;
        this.answers = answers;
        this.maxKeys = maxKeys;
    }

    @Override
    public void onUpgradeTo(final ByteBuffer buffer) {
        if (buffer != null) {
            inbox.append(buffer);
        }
    }

    @Override
    public void onOpen() {
        super.onOpen();
        onFillable();
    }

    /** Calls answered: 0 until the caller proved itself, so the connection guard closes a silent stranger. */
    @Override
    public long getMessagesIn() {
        return calls;
    }

    @Override
    public void onFillable() {
        try {
            while (true) {
                final List<ByteBuffer> out = new ArrayList<>();
                take(out);
                if (!out.isEmpty()) {
                    writeState.set(WRITING);
                    getEndPoint().write(written, out.toArray(ByteBuffer[]::new));
                    if (writeState.compareAndSet(WRITING, WRITING_LATER)) {
                        return;
                    }
                    writeState.set(IDLE);
                }
                final int read = inbox.fill(getEndPoint(), needed());
                if (read < 0) {
                    close();
                    return;
                }
                if (read == 0) {
                    fillInterested();
                    return;
                }
            }
        } catch (final IOException | IllegalArgumentException | IllegalStateException e) {
            LOG.debug("Closing the peer connection from {}: {}", getEndPoint().getRemoteSocketAddress(), e.getMessage());
            close();
        }
    }

    private int needed() {
        return switch (stage) {
            case HELLO -> PeerSession.HELLO_BYTES;
            case PROOF -> PeerSession.PROOF_BYTES;
            case OPEN -> PeerSession.needed(inbox.buffer());
        };
    }

    /** Takes what the inbox holds: the handshake's steps, then calls, whose answers go to {@code out}. */
    private void take(final List<ByteBuffer> out) {
        final ByteBuffer in = inbox.buffer();
        if (stage == Stage.HELLO && in.remaining() >= PeerSession.HELLO_BYTES) {
            final byte[] magic = new byte[PeerSession.MAGIC.length];
            in.get(magic);
            final byte version = in.get();
            if (!Arrays.equals(magic, PeerSession.MAGIC) || version != PeerSession.VERSION) {
                throw new IllegalArgumentException("the caller speaks version " + version + " of the peer protocol");
            }
            clientNonce = new byte[PeerSession.NONCE_BYTES];
            in.get(clientNonce);
            serverNonce = auth.nonce(PeerSession.NONCE_BYTES);
            out.add(ByteBuffer.allocate(PeerSession.CHALLENGE_BYTES).put(PeerSession.VERSION).put(serverNonce)
                    .put(auth.proof(PeerSession.SERVER, clientNonce, serverNonce)).flip());
            stage = Stage.PROOF;
        }
        if (stage == Stage.PROOF && in.remaining() >= PeerSession.PROOF_BYTES) {
            final byte[] proof = new byte[PeerSession.PROOF_BYTES];
            in.get(proof);
            if (!auth.verifyProof(PeerSession.CLIENT, clientNonce, serverNonce, proof)) {
                throw new IllegalArgumentException("the caller does not hold the cluster secret");
            }
            session = auth.session(clientNonce, serverNonce, false);
            stage = Stage.OPEN;
            getEndPoint().setIdleTimeout(IDLE_MILLIS);
        }
        if (stage == Stage.OPEN) {
            PeerSession.Frame frame;
            while ((frame = session.open(in, MAX_CALL_BYTES)) != null) {
                calls++;
                out.add(session.seal(frame.id(), answer(frame.body())));
            }
        }
    }

    private byte[] answer(final byte[] body) {
        final PeerWire.Call call;
        try {
            call = PeerWire.readCall(body, maxKeys);
        } catch (final IllegalArgumentException e) {
            return PeerWire.refusal("not a call: " + e.getMessage());
        }
        if (!call.ask().hop().forwarded()) {
            return PeerWire.refusal("not a call between instances");
        }
        try {
            return PeerWire.answer(call.ask().keys(), answers.answer(call.store(), call.ask().keys(), call.ask().hop()));
        } catch (final IllegalArgumentException e) {
            return PeerWire.refusal(e.getMessage());
        }
    }
}
