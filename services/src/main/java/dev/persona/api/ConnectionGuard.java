package dev.persona.api;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a connection may cost before it has proved anything: at most {@code maxPerAddress} open connections from one
 * client address (the next is closed as it is accepted), and the head of its first request complete within
 * {@code firstRequestWithin} of the connection (or it is closed), so that a client that opens connections and sends
 * nothing, or its headers a byte at a time, holds neither threads nor sockets for long. Connections that sent a
 * request are governed by the connector's idle timeout, and request bodies by the minimum data rate
 * ({@link ApiServer}). Added to each connector as a bean: Jetty calls it on every accept and every connection opened.
 */
final class ConnectionGuard implements SelectorManager.AcceptListener, Connection.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);

    private final int maxPerAddress;
    private final Duration firstRequestWithin;
    private final Scheduler scheduler;
    private final Map<InetAddress, AtomicInteger> open = new ConcurrentHashMap<>();
    private final Map<SelectableChannel, InetAddress> owners = new ConcurrentHashMap<>();
    private final AtomicInteger refused = new AtomicInteger();

    /** @param maxPerAddress connections one address may hold open; 0 for no limit */
    ConnectionGuard(final int maxPerAddress, final Duration firstRequestWithin, final Scheduler scheduler) {
        this.maxPerAddress = maxPerAddress;
        this.firstRequestWithin = firstRequestWithin;
        this.scheduler = scheduler;
    }

    @Override
    public void onAccepted(final SelectableChannel channel) {
        if (maxPerAddress <= 0 || !(channel instanceof SocketChannel socket)) {
            return;
        }
        final InetAddress address;
        try {
            address = ((InetSocketAddress) socket.getRemoteAddress()).getAddress();
        } catch (final IOException | ClassCastException | NullPointerException e) {
            return;
        }
        owners.put(channel, address);
        if (open.computeIfAbsent(address, a -> new AtomicInteger()).incrementAndGet() > maxPerAddress) {
            if (refused.getAndIncrement() % 1000 == 0) {
                LOG.warn("Closing connections from {}: it holds {} open (http.maxConnectionsPerAddress)", address.getHostAddress(), maxPerAddress);
            }
            try {
                channel.close();
            } catch (final IOException e) {
                // closed already
            }
            // Jetty calls onClosed only for connections it went on to manage.
            release(channel);
        }
    }

    @Override
    public void onClosed(final SelectableChannel channel) {
        release(channel);
    }

    private void release(final SelectableChannel channel) {
        final InetAddress address = owners.remove(channel);
        if (address != null) {
            open.computeIfPresent(address, (a, count) -> count.decrementAndGet() <= 0 ? null : count);
        }
    }

    @Override
    public void onOpened(final Connection connection) {
        // Over TLS the HTTP connection opens behind the TLS one, after the handshake: the deadline counts from the first.
        if (connection instanceof SslConnection || connection.getEndPoint() instanceof SslConnection.SslEndPoint) {
            if (connection instanceof SslConnection) {
                scheduler.schedule(() -> closeIfSilent(connection), firstRequestWithin.toMillis(), TimeUnit.MILLISECONDS);
            }
            return;
        }
        scheduler.schedule(() -> closeIfSilent(connection), firstRequestWithin.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static void closeIfSilent(final Connection connection) {
        final Connection http = connection instanceof SslConnection tls ? tls.getSslEndPoint().getConnection() : connection;
        if (connection.getEndPoint().isOpen() && (http == null || http.getMessagesIn() == 0)) {
            connection.getEndPoint().close();
        }
    }

    @Override
    public void onClosed(final Connection connection) {
        // counted by the channel
    }
}
