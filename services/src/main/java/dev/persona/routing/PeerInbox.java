package dev.persona.routing;

import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The bytes one side of a peer connection has read and not yet taken, in a buffer that grows to hold the largest
 * frame it is allowed (and no further), kept in Jetty's flush mode: what is unread lies between position and limit.
 */
final class PeerInbox {
    private static final int INITIAL_BYTES = 16 * 1024;

    private final int maxBytes;
    private ByteBuffer buffer = BufferUtil.allocate(INITIAL_BYTES);

    /** @param maxBytes the most bytes a whole frame may take */
    PeerInbox(final int maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** The unread bytes: take from its position. */
    ByteBuffer buffer() {
        return buffer;
    }

    /** Appends {@code bytes} (read before this side took the connection over). */
    void append(final ByteBuffer bytes) {
        ensure(buffer.remaining() + bytes.remaining());
        BufferUtil.append(buffer, bytes);
    }

    /**
     * Reads what {@code endPoint} has, after making room for the next frame's {@code needed} bytes.
     *
     * @return the bytes read; 0 when none are there, -1 at the end of the stream
     * @throws IllegalArgumentException when the next frame would need more than the most bytes allowed
     */
    int fill(final EndPoint endPoint, final int needed) throws IOException {
        if (needed > maxBytes) {
            throw new IllegalArgumentException("a frame of " + needed + " bytes; at most " + maxBytes + " are taken");
        }
        ensure(Math.max(needed, buffer.remaining() + 1));
        return endPoint.fill(buffer);
    }

    private void ensure(final int bytes) {
        BufferUtil.compact(buffer);
        if (buffer.capacity() >= bytes) {
            return;
        }
        final ByteBuffer larger = BufferUtil.allocate(Math.min(Math.max(bytes, buffer.capacity() * 2), Math.max(bytes, maxBytes)));
        BufferUtil.append(larger, buffer);
        buffer = larger;
    }
}
