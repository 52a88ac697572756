package dev.persona.routing;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

/**
 * Serves the {@link PeerSession peer protocol} on a Jetty connector beside HTTP: put in a
 * {@code DetectorConnectionFactory} ahead of HTTP (and behind TLS), it takes the connections whose first bytes are
 * {@link PeerSession#MAGIC} and leaves every other one to HTTP. The calls are answered on the selector thread that
 * read them: {@link Answers} reads this instance's own stores and never waits on another instance.
 */
public final class PeerProtocol extends AbstractConnectionFactory implements ConnectionFactory.Detecting {
    /** The protocol's name in a connector's list. */
    public static final String NAME = "persona-peer";

    private final PeerAuth auth;
    private final Answers answers;
    private final int maxKeys;

    /**
     * @param maxKeys the most keys one call may carry
     */
    public PeerProtocol(final PeerAuth auth, final Answers answers, final int maxKeys) {
        super(NAME);
        this.auth = auth;
        this.answers = answers;
        this.maxKeys = maxKeys;
    }

    /** What a call over the protocol is answered with. */
    @FunctionalInterface
    public interface Answers {
        /**
         * This instance's values of {@code keys} in {@code store}, read as {@code hop} says: every key answered.
         *
         * @throws IllegalArgumentException naming why the call is refused (a store this instance does not declare)
         */
        Map<String, StoredValue> answer(String store, List<String> keys, Hop hop);
    }

    @Override
    public Detection detect(final ByteBuffer buffer) {
        final int count = Math.min(buffer.remaining(), PeerSession.MAGIC.length);
        for (int i = 0; i < count; i++) {
            if (buffer.get(buffer.position() + i) != PeerSession.MAGIC[i]) {
                return Detection.NOT_RECOGNIZED;
            }
        }
        return count < PeerSession.MAGIC.length ? Detection.NEED_MORE_BYTES : Detection.RECOGNIZED;
    }

    @Override
    public Connection newConnection(final Connector connector, final EndPoint endPoint) {
        return configure(new PeerServerConnection(endPoint, connector.getExecutor(), auth, answers, maxKeys), connector, endPoint);
    }
}
