package dev.persona.routing;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;

/**
 * The peer protocol: how one instance asks another for stored values over a connection of its own, kept open and
 * shared by every lookup bound there. It is served on the API's port beside HTTP ({@link PeerProtocol} tells the two
 * apart by the first bytes), so that a peer is reached where its HTTP is, through the same TLS.
 *
 * <p>A connection opens with a handshake: the caller sends {@link #MAGIC}, {@link #VERSION} and a nonce; the callee
 * answers its version, a nonce of its own and its {@link PeerAuth#proof proof} of holding the cluster secret over
 * both nonces; the caller checks it and sends its own proof. From then on each side sends frames: a length (int, of
 * what follows it), the call's id (int), the body, and a 16-byte tag, an HMAC-SHA256 under the direction's key
 * ({@link PeerAuth#session}) over a count of the frames sent before it, the id and the body. A frame that was changed,
 * replayed, dropped or reordered on the way fails its tag, and the connection is closed. A call's body is
 * {@link PeerWire#call}, an answer's {@link PeerWire#answer}; answers may come in any order.
 *
 * <p>One instance of this class is one side's keys and counters; the frames of a direction are sealed, and opened,
 * by one thread at a time, in the order they travel.
 */
public final class PeerSession {
    /** The first bytes a caller sends: a NUL no HTTP request begins with, then the name. */
    static final byte[] MAGIC = {0, 'P', 'E', 'R', 'S', 'O', 'N', 'A'};
    /** The protocol's version, sent by both sides in the handshake. */
    public static final byte VERSION = 1;
    /** The side that calls, in {@link PeerAuth#proof}. */
    public static final String CLIENT = "client";
    /** The side that answers, in {@link PeerAuth#proof}. */
    public static final String SERVER = "server";
    static final int NONCE_BYTES = 16;
    static final int PROOF_BYTES = 32;
    /** The caller's first message: magic, version, nonce. */
    static final int HELLO_BYTES = MAGIC.length + 1 + NONCE_BYTES;
    /** The callee's reply: version, nonce, proof. */
    static final int CHALLENGE_BYTES = 1 + NONCE_BYTES + PROOF_BYTES;
    private static final int TAG_BYTES = 16;
    /** Bytes of a frame besides its body: length, id, tag. */
    static final int FRAME_OVERHEAD = 4 + 4 + TAG_BYTES;

    private final Mac sealing;
    private final Mac opening;
    private long sealed;
    private long opened;

    PeerSession(final byte[] sealKey, final byte[] openKey) {
        this.sealing = mac(sealKey);
        this.opening = mac(openKey);
    }

    /** The caller's first message, carrying its nonce. */
    static ByteBuffer hello(final byte[] clientNonce) {
        return ByteBuffer.allocate(HELLO_BYTES).put(MAGIC).put(VERSION).put(clientNonce).flip();
    }

    /** The frame of {@code body} for call {@code id}, ready to write. */
    public ByteBuffer seal(final int id, final byte[] body) {
        final ByteBuffer frame = ByteBuffer.allocate(FRAME_OVERHEAD + body.length);
        frame.putInt(4 + body.length + TAG_BYTES).putInt(id).put(body);
        frame.put(tag(sealing, sealed++, id, body));
        return frame.flip();
    }

    /**
     * The next frame in {@code in} (read from its position to its limit), past which {@code in}'s position moves; null
     * when {@code in} holds no whole frame yet.
     *
     * @param maxBody the most bytes a body may have
     * @throws IllegalArgumentException when the frame is larger than that, or its tag is not the sender's: the
     *                                  connection must be closed
     */
    public Frame open(final ByteBuffer in, final int maxBody) {
        if (in.remaining() < 4) {
            return null;
        }
        final int length = in.getInt(in.position());
        if (length < 4 + TAG_BYTES || length - 4 - TAG_BYTES > maxBody) {
            throw new IllegalArgumentException("a frame of " + length + " bytes; at most " + (maxBody + 4 + TAG_BYTES) + " are taken");
        }
        if (in.remaining() < 4 + length) {
            return null;
        }
        in.getInt();
        final int id = in.getInt();
        final byte[] body = new byte[length - 4 - TAG_BYTES];
        in.get(body);
        final byte[] tag = new byte[TAG_BYTES];
        in.get(tag);
        if (!MessageDigest.isEqual(tag, tag(opening, opened++, id, body))) {
            throw new IllegalArgumentException("frame " + (opened - 1) + " does not carry the sender's tag");
        }
        return new Frame(id, body);
    }

    /** How many bytes {@code in} must hold for its next frame to be whole (at least what it holds). */
    static int needed(final ByteBuffer in) {
        return in.remaining() < 4 ? 4 : 4 + Math.max(0, in.getInt(in.position()));
    }

    /** One frame's call id and body. */
    public record Frame(int id, byte[] body) {
    }

    private static byte[] tag(final Mac mac, final long count, final int id, final byte[] body) {
        mac.update(ByteBuffer.allocate(12).putLong(count).putInt(id).array());
        mac.update(body);
        final byte[] full = mac.doFinal();
        return java.util.Arrays.copyOf(full, TAG_BYTES);
    }

    private static Mac mac(final byte[] key) {
        try {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }
}
